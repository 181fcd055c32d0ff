"""The programme dashboard in the admin: figures read from the apps through their `figures` selectors."""
