"""English for the patient portal: login for patients and guardians, my aids, reorder."""

EN: dict[str, str] = {
    # Refusals (sesamlike/orders/ordering.py)
    (
        "{article} är ett hjälpmedel som lånas ut och beställs av din förskrivare. "
        "Kontakta mottagningen om du behöver en ny."
    ): (
        "{article} is a device on loan, ordered by your prescriber. Contact the "
        "clinic if you need a new one."
    ),
}
