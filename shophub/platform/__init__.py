"""What every domain package stands on: jobs, mail, audit, store settings, storage, links."""
