"""English for the catalogue: CSV import problems, the assortment page, labels."""

EN: dict[str, str] = {
    # Import as a whole
    "Katalogfilen har fel på {count} rader; inget importerades.":
        "The catalogue file has errors on {count} rows; nothing was imported.",
    "Filen är tom: den ska börja med en rubrikrad.":
        "The file is empty: it must start with a header row.",
    "Raden går inte att läsa som CSV ({detail}).":
        "The row cannot be read as CSV ({detail}).",
    "Raden har {found} fält men rubriken har {expected}.":
        "The row has {found} fields but the header has {expected}.",
    "Rubrikraden har en kolumn utan namn.": "The header row has a column without a name.",
    "Okänd kolumn: {column}.": "Unknown column: {column}.",
    "Kolumnen {column} finns två gånger.": "The column {column} appears twice.",
    "Kolumnen {column} saknas.": "The column {column} is missing.",
    "Artikelnumret {article_no} finns redan på rad {line}.":
        "The article number {article_no} is already on line {line}.",
    "Systemet «{name}» har varken pump- eller CGM-artiklar, så det går inte att "
    "avgöra om det är ett pump- eller CGM-system.":
        "The system “{name}” has neither pump nor CGM articles, so it cannot be "
        "told whether it is a pump or a CGM system.",
    # One value
    "Värde saknas.": "Value missing.",
    "Högst {n} tecken.": "At most {n} characters.",
    "Okänt värde «{value}»; tillåtna: {allowed}.":
        "Unknown value “{value}”; allowed: {allowed}.",
    "Värde saknas; tillåtna: {allowed}.": "Value missing; allowed: {allowed}.",
    "Ska vara yes eller no, inte «{value}».": "Must be yes or no, not “{value}”.",
    "Ska vara ett positivt heltal, inte «{value}».":
        "Must be a positive whole number, not “{value}”.",
    "Ogiltigt tal «{value}»: använd punkt som decimaltecken.":
        "Invalid number “{value}”: use a point as the decimal separator.",
    "Ogiltigt tal «{value}».": "Invalid number “{value}”.",
    "Högst {n} decimaler, inte «{value}».": "At most {n} decimals, not “{value}”.",
    "Datum saknas (ÅÅÅÅ-MM-DD).": "Date missing (YYYY-MM-DD).",
    "Ogiltigt datum «{value}»; skriv ÅÅÅÅ-MM-DD.":
        "Invalid date “{value}”; write YYYY-MM-DD.",
    "Pris saknas.": "Price missing.",
    "Orimligt stort belopp «{value}».": "Unreasonably large amount “{value}”.",
    "Momssats saknas (t.ex. 0.25).": "VAT rate missing (e.g. 0.25).",
    "Momssatsen är en andel mellan 0 och 1 (t.ex. 0.25), inte «{value}».":
        "The VAT rate is a fraction between 0 and 1 (e.g. 0.25), not “{value}”.",
    "Ska vara större än noll eller tom.": "Must be greater than zero or empty.",
    "Orimligt stort värde «{value}».": "Unreasonably large value “{value}”.",
    "Krävs för pumpar och CGM-läsare.": "Required for pumps and CGM readers.",
    "Ska vara tom för annat än pumpar och CGM-läsare.":
        "Must be empty for anything but pumps and CGM readers.",
    "Ska vara tom för pumpar och CGM-läsare; de skrivs av på amortisation_years.":
        "Must be empty for pumps and CGM readers; they are written off over "
        "amortisation_years.",
    "Avtalet kan inte sluta ({valid_to}) före det börjar ({valid_from}).":
        "The contract cannot end ({valid_to}) before it starts ({valid_from}).",
    "Tomt systemnamn i «{value}»; skilj namnen åt med |.":
        "Empty system name in “{value}”; separate the names with |.",
    "Systemnamnet «{name}» är längre än {n} tecken.":
        "The system name “{name}” is longer than {n} characters.",
    "Systemet «{name}» står flera gånger.": "The system “{name}” is listed more than once.",
    "En pump hör till exakt ett system, inte {count}.":
        "A pump belongs to exactly one system, not {count}.",
    "GTIN ska ha 8, 12, 13 eller 14 siffror, inte «{value}».":
        "A GTIN has 8, 12, 13 or 14 digits, not “{value}”.",
    "Fel kontrollsiffra i GTIN {value}.": "Wrong check digit in GTIN {value}.",
    # Categories and channels
    "Insulinpump": "Insulin pump",
    "CGM-läsare": "CGM reader",
    "CGM-sändare": "CGM transmitter",
    "CGM-sensor": "CGM sensor",
    "Infusionsset": "Infusion set",
    "Reservoar": "Reservoir",
    "Pod": "Pod",
    "Batteri": "Battery",
    "Tillbehör": "Accessory",
    "Leverantör": "Supplier",
    "Apotek": "Pharmacy",
    # The assortment page
    "Artiklar i regionens sortiment med system, pris per förpackning och avtalsstatus.":
        "Articles in the region's assortment with system, price per pack and contract "
        "status.",
    "Sök i sortimentet": "Search the assortment",
    "Sök artikel": "Search article",
    "Namn, artikelnummer eller GTIN": "Name, article number or GTIN",
    "System": "System",
    "Kategori": "Category",
    "Alla system": "All systems",
    "Alla kategorier": "All categories",
    "Visa utgångna artiklar": "Show phased-out articles",
    "Sök": "Search",
    "1 artikel": "1 article",
    "{n} artiklar": "{n} articles",
    "utgångna artiklar visas inte": "phased-out articles are hidden",
    "Artiklar, sida {page} av {pages}": "Articles, page {page} of {pages}",
    "Artikelnr": "Article no.",
    "Benämning": "Name",
    "Antal/förp.": "Units/pack",
    "Pris/förp. exkl. moms (kr)": "Price/pack excl. VAT (SEK)",
    "Kanal": "Channel",
    "Märkning": "Marks",
    "Utgått {day}": "Phased out {day}",
    "Gäller från {day}": "Valid from {day}",
    "Upphandlad": "Procured",
    "Ej upphandlad": "Not procured",
    "Förstahandsval": "First choice",
    "Val {rank}": "Choice {rank}",
    "Förmån": "Benefit scheme",
    "Individmärkt": "Serial-tracked",
    "Sidor": "Pages",
    "Föregående": "Previous",
    "Nästa": "Next",
    "Sida {page} av {pages}": "Page {page} of {pages}",
    "Inga artiklar matchar sökningen.": "No articles match the search.",
    "Sortimentet är tomt.": "The assortment is empty.",
}
