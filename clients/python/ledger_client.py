#!/usr/bin/env python3
"""A ledger client of the Liquidity Sentinel monitor, in Python with grpcio.

Streams settled withdrawals to `sentinel serve`, one event per message
(`IngestWithdrawals`) or many per message (`IngestWithdrawalBatches`), unpaced: the
client sends as fast as gRPC lets it, and HTTP/2 flow control holds it back while the
monitor commits. Prints one JSON line per run (events/s, the summary, whether the
connection was cut) so scripts and tests can check it.

The stubs are generated from proto/ at start with grpcio-tools into a temporary
directory; no generated code is kept in the repository.

    python ledger_client.py --addr 127.0.0.1:50051 --events 200000 --mode events
    python ledger_client.py --addr 127.0.0.1:50051 --events 1000000 --mode batches --runs 20
    python ledger_client.py --addr 127.0.0.1:50051 --bad-event   # expects INVALID_ARGUMENT
    python ledger_client.py --addr localhost:50051 --tls-ca ca.pem --gzip

With `--tls-ca` the client speaks TLS (`--tls-client-cert`/`--tls-client-key` for mutual
TLS); a role token is read from the environment variable SENTINEL_TOKEN and sent as
`authorization: Bearer <token>`; `--gzip` compresses every request.
"""

import argparse
import importlib
import json
import os
import sys
import tempfile
import time
import uuid

import grpc
from grpc_tools import protoc

try:  # Python >= 3.9
    from importlib.resources import files as _resource_files
except ImportError:  # pragma: no cover
    _resource_files = None

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROTO_ROOT = os.path.join(REPO, "proto")
PROTO = "sentinel/v1/monitor.proto"


def generate_stubs(out_dir):
    """Compiles monitor.proto into `out_dir` and imports the two modules."""
    well_known = str(_resource_files("grpc_tools") / "_proto")
    code = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{PROTO_ROOT}",
            f"-I{well_known}",
            f"--python_out={out_dir}",
            f"--grpc_python_out={out_dir}",
            os.path.join(PROTO_ROOT, PROTO),
        ]
    )
    if code != 0:
        raise RuntimeError(f"protoc failed with {code}")
    sys.path.insert(0, out_dir)
    pb = importlib.import_module("sentinel.v1.monitor_pb2")
    rpc = importlib.import_module("sentinel.v1.monitor_pb2_grpc")
    return pb, rpc


def make_event(pb, run_id, i, now_s, amount_minor=150_00, message="WithdrawalEvent"):
    """A settled retail withdrawal an hour ago, unique per run and index, as a `message`
    (`WithdrawalEvent`, or `IngestWithdrawalsRequest`, which has the same fields)."""
    event = getattr(pb, message)(
        event_id=f"py-{run_id}-{i:09d}",
        account_id=f"acct-{i % 50_000:08d}",
        cohort=pb.COHORT_RETAIL,
        amount_minor=amount_minor,
        currency="IDR",
        kind=pb.EVENT_KIND_WITHDRAWAL,
    )
    event.occurred_at.seconds = now_s - 3_600 + (i % 1_800)
    return event


def events(pb, run_id, count, now_s):
    for i in range(count):
        yield make_event(pb, run_id, i, now_s, message="IngestWithdrawalsRequest")


def batches(pb, run_id, count, now_s, batch_size):
    for start in range(0, count, batch_size):
        end = min(count, start + batch_size)
        yield pb.IngestWithdrawalBatchesRequest(
            events=[make_event(pb, run_id, i, now_s) for i in range(start, end)]
        )


def one_run(pb, stub, mode, count, batch_size):
    """Streams `count` new events; returns the run's JSON record."""
    run_id = uuid.uuid4().hex[:12]
    now_s = int(time.time())
    started = time.monotonic()
    record = {"mode": mode, "events": count}
    try:
        if mode == "events":
            summary = stub.IngestWithdrawals(events(pb, run_id, count, now_s))
        else:
            summary = stub.IngestWithdrawalBatches(
                batches(pb, run_id, count, now_s, batch_size)
            )
        record.update(
            status="OK",
            received=summary.received,
            accepted=summary.accepted,
            duplicates=summary.duplicates,
            disconnected=False,
        )
    except grpc.RpcError as error:
        record.update(
            status=error.code().name,
            message=error.details(),
            # UNAVAILABLE with no summary is what a cut connection (GOAWAY) looks like.
            disconnected=error.code() == grpc.StatusCode.UNAVAILABLE,
        )
    seconds = time.monotonic() - started
    record["seconds"] = round(seconds, 3)
    record["events_per_s"] = round(count / seconds) if seconds > 0 else None
    return record


def bad_event(pb, stub):
    """Two valid events and one of amount 0: expects INVALID_ARGUMENT naming the field."""
    run_id = uuid.uuid4().hex[:12]
    now_s = int(time.time())
    request = "IngestWithdrawalsRequest"
    stream = [make_event(pb, run_id, i, now_s, message=request) for i in (0, 1)]
    stream.append(make_event(pb, run_id, 2, now_s, amount_minor=0, message=request))
    try:
        summary = stub.IngestWithdrawals(iter(stream))
        return {"status": "OK", "accepted": summary.accepted}
    except grpc.RpcError as error:
        trailers = dict(error.trailing_metadata() or ())
        return {
            "status": error.code().name,
            "message": error.details(),
            "accepted": int(trailers.get("x-sentinel-accepted", "-1")),
            "field": trailers.get("x-sentinel-field"),
        }


def open_channel(args):
    """A channel with the options of `args`: TLS, the token of SENTINEL_TOKEN, gzip."""
    compression = grpc.Compression.Gzip if args.gzip else None
    token = os.environ.get("SENTINEL_TOKEN")
    if not args.tls_ca:
        if token:
            raise SystemExit("SENTINEL_TOKEN needs --tls-ca: tokens are not sent in plaintext")
        return grpc.insecure_channel(args.addr, compression=compression)

    def read(path):
        with open(path, "rb") as f:
            return f.read()

    credentials = grpc.ssl_channel_credentials(
        root_certificates=read(args.tls_ca),
        private_key=read(args.tls_client_key) if args.tls_client_key else None,
        certificate_chain=read(args.tls_client_cert) if args.tls_client_cert else None,
    )
    if token:
        credentials = grpc.composite_channel_credentials(
            credentials, grpc.access_token_call_credentials(token)
        )
    return grpc.secure_channel(args.addr, credentials, compression=compression)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addr", default="127.0.0.1:50051")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--mode", choices=["events", "batches"], default="events")
    parser.add_argument("--batch-size", type=int, default=1_000)
    parser.add_argument("--bad-event", action="store_true")
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--tls-ca")
    parser.add_argument("--tls-client-cert")
    parser.add_argument("--tls-client-key")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sentinel-stubs-") as out_dir:
        pb, rpc = generate_stubs(out_dir)
        with open_channel(args) as channel:
            grpc.channel_ready_future(channel).result(timeout=10)
            stub = rpc.MonitorServiceStub(channel)
            if args.bad_event:
                print(json.dumps(bad_event(pb, stub)), flush=True)
                return 0
            failures = 0
            for run in range(args.runs):
                record = one_run(pb, stub, args.mode, args.events, args.batch_size)
                record["run"] = run + 1
                print(json.dumps(record), flush=True)
                failures += record["status"] != "OK"
            return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
