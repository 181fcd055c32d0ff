"""The programme's shared vocabularies: one list of sectors and regions used everywhere."""

from django.db import models


class Sector(models.TextChoices):
    NHS = "nhs", "NHS and health & care services"
    INDUSTRY_LARGE = "industry_large", "Industry (large company)"
    INDUSTRY_SME = "industry_sme", "Industry (SME / start-up)"
    ACADEMIA = "academia", "Academia and research institutes"
    REGULATOR = "regulator", "Regulator"
    GOVERNMENT = "government", "Government and policy"
    CHARITY = "charity", "Charity and third sector"
    PATIENTS_PUBLIC = "patients_public", "Patients and the public"
    OTHER = "other", "Other"


class Region(models.TextChoices):
    """UK nations, and England's regions, plus a choice for people based abroad."""

    SCOTLAND = "scotland", "Scotland"
    WALES = "wales", "Wales"
    NORTHERN_IRELAND = "northern_ireland", "Northern Ireland"
    NORTH_EAST = "north_east", "England: North East"
    NORTH_WEST = "north_west", "England: North West"
    YORKSHIRE = "yorkshire", "England: Yorkshire and the Humber"
    EAST_MIDLANDS = "east_midlands", "England: East Midlands"
    WEST_MIDLANDS = "west_midlands", "England: West Midlands"
    EAST = "east", "England: East of England"
    LONDON = "london", "England: London"
    SOUTH_EAST = "south_east", "England: South East"
    SOUTH_WEST = "south_west", "England: South West"
    OUTSIDE_UK = "outside_uk", "Outside the UK"


# The programme's priority areas. Stored as rows (see PriorityArea) so every app can filter by
# them with a join; this tuple seeds the table in a data migration.
PRIORITY_AREAS = (
    ("genomics", "Data analytics and AI for genomics"),
    ("pathology", "Data analytics and AI for pathology"),
    ("drug-development", "Data analytics and AI for drug development"),
    ("medical-imaging", "Data analytics and AI for medical imaging"),
    ("cell-gene-therapy", "Cell and gene therapy"),
)
