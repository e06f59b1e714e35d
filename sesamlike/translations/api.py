"""English for API messages."""

EN = {
    "Felaktig begäran.": "Bad request.",
    "Giltig API-nyckel (Bearer) saknas.": "A valid API token (Bearer) is missing.",
    "Metoden stöds inte för den här adressen.": "Method not allowed for this URL.",
    "Begäran är för stor.": "Request too large.",
    "Skicka JSON (Content-Type: application/json).": "Send JSON (Content-Type: application/json).",
    "För många anrop. Vänta en stund.": "Too many requests. Wait a moment.",
    "Internt fel.": "Internal error.",
    "Fel.": "Error.",
    "Skicka ett JSON-objekt (application/json).": "Send a JSON object (application/json).",
    "Talet är för stort.": "The number is too large.",
}
