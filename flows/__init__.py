"""Prefect flows (ingest), the deployment, and the CLI that starts them. The only package that imports prefect."""
