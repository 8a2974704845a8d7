"""`paperboy cluster …`: what a Dask cluster that only paperboy may join needs."""

from __future__ import annotations

import click

from paperboy.flows.commands.base import Fail, cli, say


@cli.group()
def cluster() -> None:
    """The Dask cluster that extracts for paperboy (docs/cluster.md)."""


@cluster.command("certs")
@click.argument("folder", type=click.Path(file_okay=False))
def cluster_certs(folder: str) -> None:
    """Make FOLDER's TLS certificates: a certificate authority of the cluster's own (its key is not
    kept) and one certificate it signed, for the scheduler, every worker and paperboy. Copy the
    folder to each machine; Dask's TLS then admits only who holds it."""
    from paperboy.flows.engines.cluster import make_certs

    try:
        written = make_certs(folder)
    except FileExistsError as exc:
        raise Fail(f"{exc.filename} exists: certificates are made once; remove the folder to make new ones") from exc
    except OSError as exc:
        raise Fail(f"{folder}: {exc.strerror or exc}") from exc
    say(f"wrote {', '.join(written)}")
    ca, cert, key = written
    tls = f"--tls-ca-file {ca} --tls-cert {cert} --tls-key {key}"
    say(f"scheduler: dask scheduler --protocol tls --port 8786 {tls}")
    preload = "--preload paperboy.flows.engines.dask_preload"
    say(f"workers:   dask worker tls://SCHEDULER:8786 {tls} --nthreads 1 --nworkers auto {preload}")
    say(f'paperboy:  dask_certs = "{folder}" in the config (or PAPERBOY_DASK_CERTS), then --dask tls://SCHEDULER:8786')
