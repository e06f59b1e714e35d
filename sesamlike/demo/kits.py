"""Which demo articles make up each pump and CGM system, and who uses which.

Article numbers refer to `catalogue.csv`. Shares are illustrative, loosely after
the national figures of 2018 in domain.md: pump use per group and the pump
systems' shares; adults with type 2 on CGM alone.
"""

from __future__ import annotations

from dataclasses import dataclass

# One choice: the articles used together (an infusion set and its reservoir).
Choice = tuple[str, ...]
Group = tuple[tuple[Choice, float], ...]


@dataclass(frozen=True)
class Kit:
    system: str
    device: str | None  # the lent pump or reader; None for CGM without a reader
    device_share: float  # share of users who get the device (readers: phone apps)
    groups: tuple[Group, ...]  # consumables, one choice per group


PUMPS = {
    "MiniMed 640G": Kit("MiniMed 640G", "100001", 1.0, (
        ((("100101",), 0.60), (("100102",), 0.25), (("100103",), 0.10),
         (("100104",), 0.05)),
        ((("100201",), 1.0),),
        ((("900001",), 1.0),),
        ((("100301",), 1.0),),
    )),
    "MiniMed 780G": Kit("MiniMed 780G", "100002", 1.0, (
        ((("100101", "100201"), 0.40), (("100102", "100201"), 0.20),
         (("100105", "100202"), 0.40)),
        ((("900001",), 1.0),),
        ((("100301",), 1.0),),
    )),
    "t:slim X2": Kit("t:slim X2", "200001", 1.0, (
        ((("200201",), 0.60), (("200202",), 0.30), (("200203",), 0.10)),
        ((("200101",), 1.0),),
    )),
    "Omnipod DASH": Kit("Omnipod DASH", "300001", 1.0, (((("300101",), 1.0),),)),
    "Omnipod 5": Kit("Omnipod 5", "300002", 1.0, (((("300201",), 1.0),),)),
    "Animas Vibe": Kit("Animas Vibe", "600001", 1.0, (
        ((("600101",), 1.0),), ((("600201",), 1.0),), ((("900001",), 1.0),),
    )),
}  # fmt: skip

CGMS = {
    "Dexcom G6": Kit("Dexcom G6", "400003", 0.4, (((("400001", "400002"), 1.0),),)),
    "Dexcom G7": Kit("Dexcom G7", "400102", 0.3, (((("400101",), 1.0),),)),
    "FreeStyle Libre 2": Kit("FreeStyle Libre 2", "500002", 0.5,
                             (((("500001",), 1.0),),)),
    "FreeStyle Libre 3": Kit("FreeStyle Libre 3", "500102", 0.2,
                             (((("500101",), 1.0),),)),
    "Guardian 4": Kit("Guardian 4", None, 0.0, (((("100401", "100402"), 1.0),),)),
}  # fmt: skip

# CGM used with each pump (None: no CGM); the key None is life without a pump.
CGM_WITH = {
    "MiniMed 640G": ((None, 0.5), ("FreeStyle Libre 2", 0.5)),
    "MiniMed 780G": (("Guardian 4", 0.85), (None, 0.15)),
    "t:slim X2": (("Dexcom G6", 0.5), ("Dexcom G7", 0.5)),
    "Omnipod DASH": (("FreeStyle Libre 2", 0.5), ("Dexcom G6", 0.3), (None, 0.2)),
    "Omnipod 5": (("Dexcom G6", 0.4), ("Dexcom G7", 0.4), ("FreeStyle Libre 2", 0.2)),
    None: (("FreeStyle Libre 2", 0.45), ("FreeStyle Libre 3", 0.3),
           ("Dexcom G7", 0.25)),
}  # fmt: skip

# Pump systems as shared in 2018 (domain.md: Omnipod 33 %, MiniMed 640G 27 %,
# Animas Vibe 22 %): Animas Vibe left the market that year, and its share goes
# to t:slim X2, where its users moved; the rest to MiniMed 780G.
SYSTEM_SHARES = (("Omnipod DASH", 0.15), ("Omnipod 5", 0.18), ("MiniMed 640G", 0.27),
                 ("t:slim X2", 0.22), ("MiniMed 780G", 0.18))  # fmt: skip
# Who uses a pump (2018): 65 % of children and 22 % of adults with type 1,
# under 1 % with type 2.
PUMP_USE = {"child": 0.65, "type1": 0.22, "other": 0.005}


def _with_pump_use(share: float):
    return tuple((name, share * weight) for name, weight in SYSTEM_SHARES) + (
        (None, 1 - share),
    )


PUMP_SHARES = {group: _with_pump_use(share) for group, share in PUMP_USE.items()}

# The system a patient used before switching to a newer one.
PREVIOUS_PUMP = {
    "MiniMed 780G": "MiniMed 640G",
    "Omnipod 5": "Omnipod DASH",
    "t:slim X2": "MiniMed 640G",
    "Omnipod DASH": "MiniMed 640G",
    "MiniMed 640G": "MiniMed 640G",
}

SERIAL_PREFIX = {
    "100001": "NG", "100002": "NH", "200001": "TS", "300001": "PD", "300002": "PF",
    "400003": "DR", "400102": "DS", "500002": "LB", "500102": "LC", "600001": "AV",
}  # fmt: skip

# Reasons for prescribing outside the first choice of the article's system.
REASONS = {
    "not_procured": ("medical", "Hudreaktion på upphandlade alternativ."),
    "pump": ("medical", "Behöver sensorstyrd insulintillförsel; ordinerat av läkare."),
    "not_working": ("not_working",
                    "Upphandlat förstahandsval fungerade inte för patienten."),
    "other": ("patient_wish", "Patientens önskemål efter utprovning."),
}  # fmt: skip
# Categories where the first choice not working is the usual reason.
NOT_WORKING_CATEGORIES = frozenset(
    {"infusion_set", "cgm_sensor", "cgm_transmitter", "cgm_reader"}
)


def pick(rng, options):
    """One value from ((value, weight), ...)."""
    point = rng.random() * sum(weight for _, weight in options)
    for value, weight in options:
        point -= weight
        if point < 0:
            return value
    return options[-1][0]
