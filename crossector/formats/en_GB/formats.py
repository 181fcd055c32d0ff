"""British English formats for the admin and any `|date` without a format: the portal's one way of writing
times (crossector.core.dates), "17 November 2022, 5:00pm", not Django's en_GB "17 Nov 2022, 5 p.m."."""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "g:ia"
DATETIME_FORMAT = "j F Y, g:ia"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, g:ia"
