"""Ingestion for the e-commerce sales source: sample data, landing, bronze tables."""
