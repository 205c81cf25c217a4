"""An example third-party Clarion provider package (see ``provider.py``)."""
