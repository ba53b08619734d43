"""The credit officer's dashboard: a Streamlit app over the credit API (HTTP only: the model stays behind it).

`client.py` talks to the API, `data.py` reads the applications to pick from and the training population,
`views.py` turns answers into figures and sentences; `app.py` is the thin Streamlit page that lays them out.
Start it with `make dashboard` (README, "Credit officer's dashboard").
"""
