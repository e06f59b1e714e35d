"""English for follow-up: the cost report, drill-down, exports and the API."""

EN: dict[str, str] = {
    # Report
    "Uppföljning {year}": "Follow-up {year}",
    "Kostnad per patient och år för pump- och CGM-system: hjälpmedel skrivs av per "
    "dag, förbrukning räknas det år den levereras, apoteksrader med moms.": "Cost per patient and year for pump and CGM systems: devices are amortised "
    "per day, consumables count in the year of delivery, pharmacy lines with VAT.",
    "Välj år och mottagning": "Choose year and clinic",
    "År": "Year",
    "Mottagning": "Clinic",
    "Gräns för högkostnad (kr per år)": "High-cost threshold (SEK per year)",
    "Ange ett belopp från 0 kr.": "Enter an amount from 0 SEK.",
    "Hela regionen": "The whole region",
    "Alla mina mottagningar": "All my clinics",
    "Inga beräknade kostnader för {year}. Kostnaderna beräknas varje natt (eller "
    "med flask followup run).": "No computed costs for {year}. Costs are computed every night (or with "
    "flask followup run).",
    "Patienter med kostnad": "Patients with a cost",
    "Total kostnad": "Total cost",
    "kr": "SEK",
    "Medel per patient": "Mean per patient",
    "Median per patient": "Median per patient",
    "Pumpsystem": "Pump system",
    "CGM-system": "CGM system",
    "Inget system": "No system",
    "Årskostnad per patient och pumpsystem": "Annual cost per patient and pump system",
    "Årskostnad per patient och CGM-system": "Annual cost per patient and CGM system",
    "Åldersgrupper": "Age groups",
    "Åldersgrupp": "Age group",
    "Pumpmodell": "Pump model",
    "CGM-modell": "CGM model",
    "Okänd ålder": "Unknown age",
    "Årskostnad per åldersgrupp (ålder 31 december)": "Annual cost per age group (age on 31 December)",
    "Patienter per pumpsystem och åldersgrupp": "Patients per pump system and age group",
    "Ingen förskrivare": "No prescriber",
    "Årskostnad per förskrivare": "Annual cost per prescriber",
    "Patienter att se över": "Patients to review",
    "{n} patienter över {threshold} kr per år (högkostnad)": "{n} patients above SEK {threshold} a year (high cost)",
    "{n} patienter med förbrukning över 1,5 gånger förväntad användning av någon "
    "artikel": "{n} patients using some article above 1.5 times its expected use",
    "Patienter med förbrukning över 1,5 gånger förväntad användning av någon "
    "artikel": "Patients using some article above 1.5 times its expected use",
    "Volym, kostnad och förbrukning per artikel {year}": "Volume, cost and use per article {year}",
    "Förbrukning räknas det år den levereras; hjälpmedel med sina dagar i bruk "
    "under året.": "Consumables count in the year of delivery; devices by their days in use "
    "during the year.",
    "Patienten räknas till förskrivaren av pumpen (annars CGM-enheten) i bruk "
    "längst, annars av årets senast registrerade leverans.": "A patient counts for the prescriber of the pump (else the CGM device) in "
    "use longest, else of the year's last recorded delivery.",
    "Följsamhet till sortimentet": "Assortment compliance",
    "{total} förskrivningar {year}: {procured} % på upphandlade artiklar, {first} % "
    "på förstahandsval.": "{total} prescriptions in {year}: {procured} % on procured articles, "
    "{first} % on first-choice articles.",
    "Avvikelser per orsakskod": "Deviations per reason code",
    "Orsakskod": "Reason code",
    "Ingen orsak angiven": "No reason given",
    "Inga förskrivningar skrevs {year}.": "No prescriptions were written in {year}.",
    "Volym och kostnad per artikel": "Volume and cost per article",
    "Artiklar {year}, kostnad enligt kostnadsreglerna": "Articles {year}, cost by the cost rules",
    "Enheter": "Units",
    "Rader": "Lines",
    "Kostnad (kr)": "Cost (SEK)",
    "Utveckling över åren": "Trend over the years",
    "Kostnad per år": "Cost per year",
    "Patienter": "Patients",
    "Medel (kr)": "Mean (SEK)",
    "Median (kr)": "Median (SEK)",
    "P10 (kr)": "P10 (SEK)",
    "P25 (kr)": "P25 (SEK)",
    "P75 (kr)": "P75 (SEK)",
    "P90 (kr)": "P90 (SEK)",
    "Summa (kr)": "Total (SEK)",
    "Nationella diabetesregistret": "National Diabetes Register",
    "Ladda ner pump- och CGM-modell per patient {year} (CSV)": "Download pump and CGM model per patient {year} (CSV)",
    "Exportera:": "Export:",
    "Fördelning": "Distribution",
    "Fördelning för {system}": "Distribution for {system}",
    "Visa patienterna: {group}": "Show the patients: {group}",
    "Upphandlade": "Procured",
    "Förstahandsval": "First choice",
    "Avvikelser": "Deviations",
    "Förskrivningar": "Prescriptions",
    # Charts
    "kr per patient och år": "SEK per patient and year",
    "Årskostnad per pumpsystem": "Annual cost per pump system",
    "Årskostnad per CGM-system": "Annual cost per CGM system",
    "Årskostnad per åldersgrupp": "Annual cost per age group",
    "Låda: 25:e till 75:e percentilen; streck: median; morrhår: 10:e till 90:e "
    "percentilen; punkt: medel.": "Box: 25th to 75th percentile; line: median; whiskers: 10th to 90th "
    "percentile; dot: mean.",
    "Låda: 25:e till 75:e percentilen; streck: median.": "Box: 25th to 75th percentile; line: median.",
    "Medelkostnad per år": "Mean cost per year",
    "Medelkostnad per patient och år.": "Mean cost per patient and year.",
    "Fördelning av årskostnad: {system}": "Distribution of annual cost: {system}",
    "Antal patienter per kostnadsintervall.": "Patients per cost interval.",
    # System distribution
    "Tillbaka till uppföljningen": "Back to the follow-up",
    "Årskostnad per patient {year}": "Annual cost per patient {year}",
    "{n} patienter": "{n} patients",
    "Lägsta – högsta (kr)": "Lowest – highest (SEK)",
    "Percentiler med linjär interpolation mellan närmaste värden.": "Percentiles by linear interpolation between the closest values.",
    "Visa patienterna": "Show the patients",
    "Inga patienter med det här systemet {year}.": "No patients on this system in {year}.",
    # Drill-down
    "Patienter {year}": "Patients {year}",
    "Pumpsystem: {value}": "Pump system: {value}",
    "CGM-system: {value}": "CGM system: {value}",
    "Åldersgrupp: {value}": "Age group: {value}",
    "Förskrivare vald": "One prescriber",
    "Årskostnad över {value} kr": "Annual cost above SEK {value}",
    "Förbrukning över 1,5 gånger förväntad användning": "Use above 1.5 times the expected use",
    "{n} patienter. Visningen loggas per patient.": "{n} patients. Viewing is logged per patient.",
    "Patienter, sida {page} av {pages}, högst kostnad först": "Patients, page {page} of {pages}, highest cost first",
    "Enheter (kr)": "Devices (SEK)",
    "Förbrukning (kr)": "Consumables (SEK)",
    "Totalt (kr)": "Total (SEK)",
    # One patient
    "Årskostnad per år": "Annual cost per year",
    "Rader som ger kostnaden {year}": "Lines behind the cost for {year}",
    "Leveranser och hjälpmedel i bruk {year}": "Deliveries and devices in use {year}",
    "Återlämnad": "Returned",
    "Dagar i bruk": "Days in use",
    "Enligt kostnadsreglerna på dagens uppgifter: {total} kr (enheter {device} kr, "
    "förbrukning {consumables} kr).": "By the cost rules on today's data: SEK {total} (devices SEK {device}, "
    "consumables SEK {consumables}).",
    "Inga kostnader {year}.": "No costs in {year}.",
    # API
    "Ange ett år 2000–2100.": "Enter a year from 2000 to 2100.",
}
