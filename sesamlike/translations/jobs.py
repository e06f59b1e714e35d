"""English for the scheduler and the admin job page."""

EN = {
    "Skickar köade e-postaviseringar": "Sends queued e-mail notices",
    "Påminnelser om slutdatum, öppnad tidsspärr och förskrivningar som tar slut":
        "Reminders of run-out dates, opened time locks and ending prescriptions",
    "Körningen är beställd och startar inom en halv minut.":
        "The run is requested and starts within half a minute.",
    "Inaktiverar konton som inte använts på 12 månader":
        "Deactivates accounts unused for 12 months",
    "Årskostnad per patient för i år och i fjol (ändrade patienter)":
        "Annual cost per patient for this year and last (changed patients)",
    "Flaggar partier som går ut inom 60 dagar och spärrar utgångna":
        "Flags lots expiring within 60 days and quarantines expired ones",
    "Föreslår inköp per leverantör när saldot når beställningspunkten":
        "Proposes purchases per supplier when stock reaches the reorder point",
    "Skickar e-recept för apoteksrader": "Sends e-prescriptions for pharmacy lines",
    "Skriver dagens beställningsfil per leverantör": "Writes today's order file per supplier",
    "beställd": "requested",
    "pågår": "running",
    "klar": "succeeded",
    "misslyckad": "failed",
    "hoppades över": "skipped",
    "Schemalagda jobb": "Scheduled jobs",
    "Jobben körs av schemaläggaren (flask --app app scheduler), aldrig av webbservern.":
        "Jobs are run by the scheduler (flask --app app scheduler), never by the web server.",
    "Jobb": "Job",
    "Schema": "Schedule",
    "Senaste körning": "Latest run",
    "Misslyckade": "Failed",
    "Åtgärd": "Action",
    "Kör nu": "Run now",
    "Körningar": "Runs",
    "Visa alla körningar": "Show all runs",
    "Visa bara misslyckade": "Show failed only",
    "Slut": "End",
    "Utfall": "Outcome",
    "Antal": "Counts",
    "Meddelande": "Message",
    "Inga körningar ännu.": "No runs yet.",
    "Körningar, fel och kör nu": "Runs, failures and run now",
}
