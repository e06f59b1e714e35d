def test_a_postal_code_is_written_as_in_sweden_on_every_page():
    """The walkthrough: "87142" on the order form and its confirmation,
    "871 42" on the patient's page."""
    from sesamlike.common.formatting import format_postal_code

    assert format_postal_code("87142") == "871 42"
    assert format_postal_code("871 42") == "871 42"  # as stored, if so
    assert format_postal_code("DK-2100") == "DK-2100"
    assert format_postal_code(None) == ""
