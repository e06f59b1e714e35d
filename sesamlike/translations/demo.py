"""English for the demo region, the delivered-history import and depots."""

EN: dict[str, str] = {
    # Depots
    "Lagrets kod och namn krävs.": "The depot's code and name are required.",
    "Lagrets kod får ha högst {code_max} tecken och namnet högst {name_max}.": "The depot code may have at most {code_max} characters and the name at "
    "most {name_max}.",
    "Lagret {code} finns redan.": "The depot {code} already exists.",
    # Delivered-history import (deliveries import)
    "Leveransfilen har fel på {count} rader; inget importerades.": "The delivery file has errors on {count} rows; nothing was imported.",
    "Okänd eller upprepad kolumn: {column}.": "Unknown or repeated column: {column}.",
    "Kolumnen {column} saknas.": "The column {column} is missing.",
    "Raden har {found} fält men rubriken har {expected}.": "The row has {found} fields but the header has {expected}.",
    "Raden går inte att läsa som CSV ({detail}).": "The row cannot be read as CSV ({detail}).",
    "Filen innehåller inga leveransrader.": "The file contains no delivery rows.",
    "Datum saknas (ÅÅÅÅ-MM-DD).": "Date missing (YYYY-MM-DD).",
    "Ogiltigt datum «{value}»; skriv ÅÅÅÅ-MM-DD.": "Invalid date “{value}”; write YYYY-MM-DD.",
    "Artikeln «{value}» finns inte.": "The article “{value}” does not exist.",
    "Ska vara ett positivt heltal, inte «{value}».": "Must be a positive whole number, not “{value}”.",
    "Okänd kanal «{value}»; tillåtna: {allowed}.": "Unknown channel “{value}”; allowed: {allowed}.",
    "Leveransdatumet {value} ligger i framtiden.": "The delivery date {value} is in the future.",
    "Returen ({returned_on}) är före leveransen ({delivered_on}).": "The return ({returned_on}) is before the delivery ({delivered_on}).",
    "Högst {n} tecken.": "At most {n} characters.",
    "«{value}» är varken ett giltigt personnummer eller en patients reservnummer.": "“{value}” is neither a valid personal identity number nor a patient's "
    "reserve number.",
    "Ingen patient har nummer {value}.": "No patient has the number {value}.",
    "Artikeln {article_no} är individmärkt: serienummer krävs.": "The article {article_no} is serial-tracked: a serial number is required.",
    "En individmärkt artikel levereras en i taget (packs 1).": "A serial-tracked article is delivered one at a time (packs 1).",
    "Serienumret {serial} finns redan.": "The serial number {serial} already exists.",
    "Serienumret {serial} står redan på rad {line}.": "The serial number {serial} is already on line {line}.",
}
