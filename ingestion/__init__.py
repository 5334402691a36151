"""Ingestion: land the delivered files of the declared source systems in the landing zone and register bronze over them."""
