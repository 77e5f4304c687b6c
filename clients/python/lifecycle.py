#!/usr/bin/env python3
"""Drive lethe through an erasure and an access request with the client
generated from openapi/openapi.json by openapi-python-client, and nothing
else but the standard library.

Access: create, follow until completed, download the package and check it
is a zip holding manifest.json. Erasure: create, follow until
awaiting_approval, read the plan, approve (as a second person), follow until
completed, fetch the report and check verification passed. Any other status
or answer ends the script with exit 1 and a line saying what was expected
and what came.

    PYTHONPATH=<generated client dir> python lifecycle.py \\
        --url http://127.0.0.1:8080 --requester-token $ALICE --approver-token $BOB

The URL and tokens default to LETHE_URL, LETHE_REQUESTER_TOKEN and
LETHE_APPROVER_TOKEN. Without --email, --phone or --name the subject is the
demo estate's John Smith (his email and phone).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
import zipfile
from typing import NoReturn, TypeVar
from uuid import UUID

from lethe_client import AuthenticatedClient, errors
from lethe_client.api.requests import (
    approve_request,
    create_request,
    get_package,
    get_plan,
    get_report,
    get_request,
)
from lethe_client.models import (
    ApproveBody,
    CreateRequest,
    ErasureReport,
    PlanResponse,
    Problem,
    RequestKind,
    RequestStatus,
    RequestView,
    SubjectInput,
    VerifyOutcome,
)
from lethe_client.types import UNSET, File, Response

T = TypeVar("T")

DONE = {RequestStatus.COMPLETED, RequestStatus.COMPLETED_WITH_EXCEPTIONS}
# Statuses a request never leaves: reaching one that was not awaited is a failure.
TERMINAL = DONE | {RequestStatus.FAILED, RequestStatus.REJECTED, RequestStatus.CANCELLED}


def fail(message: str) -> NoReturn:
    print(f"lifecycle: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def expect(response: Response[T | Problem], status: int, kind: type[T], what: str) -> T:
    """The parsed body of a response that must have `status` and type `kind`."""
    parsed = response.parsed
    if response.status_code != status or not isinstance(parsed, kind):
        if isinstance(parsed, Problem):
            got = f"{parsed.status} {parsed.type_}: {parsed.detail}"
        else:
            got = f"{int(response.status_code)} {response.content[:200]!r}"
        fail(f"{what}: expected {status} {kind.__name__}, got {got}")
    return parsed


def follow(client: AuthenticatedClient, id: UUID, until: set[RequestStatus], timeout: float) -> RequestView:
    """Poll the request until its status is one of `until`."""
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while True:
        view = expect(get_request.sync_detailed(id, client=client), 200, RequestView, f"get request {id}")
        if not seen or seen[-1] != view.status:
            seen.append(str(view.status))
            print(f"  {view.kind} {id}: {view.status}")
        if view.status in until:
            return view
        if view.status in TERMINAL:
            fail(f"request {id} ended {view.status}, expected {' or '.join(sorted(until))} (went {' -> '.join(seen)})")
        if time.monotonic() > deadline:
            fail(f"request {id} still {view.status} after {timeout:.0f} s (went {' -> '.join(seen)})")
        time.sleep(0.3)


def erasure(
    requester: AuthenticatedClient, approver: AuthenticatedClient, subject: SubjectInput, timeout: float
) -> None:
    body = CreateRequest(kind=RequestKind.ERASURE, subject=subject, note="generated client: erasure")
    created = expect(create_request.sync_detailed(client=requester, body=body), 201, RequestView, "create erasure")
    print(f"erasure request {created.id}")
    follow(approver, created.id, {RequestStatus.AWAITING_APPROVAL}, timeout)
    plan = expect(get_plan.sync_detailed(created.id, client=approver), 200, PlanResponse, "get plan")
    print(f"  plan: {len(plan.targets)} targets")
    approved = expect(
        approve_request.sync_detailed(created.id, client=approver, body=ApproveBody(note="generated client approves")),
        200,
        RequestView,
        "approve",
    )
    if approved.decided_by is None:
        fail("approve: the answer names no approver")
    final = follow(approver, created.id, DONE, timeout)
    report = expect(get_report.sync_detailed(created.id, client=approver), 200, ErasureReport, "get report")
    if report.status != final.status:
        fail(f"report says {report.status}, request says {final.status}")
    unverified = [t.key for t in report.targets if t.found > 0 and t.verify != VerifyOutcome.PASSED]
    if unverified or report.totals.remaining != 0:
        fail(f"report: {report.totals.remaining} items remain; verify did not pass on {unverified}")
    t = report.totals
    print(f"  report: {t.targets} targets, {t.found} found, {t.erased} erased, {t.remaining} remaining")
    print(f"erasure {created.id} {final.status}")


def access(requester: AuthenticatedClient, reader: AuthenticatedClient, subject: SubjectInput, timeout: float) -> None:
    body = CreateRequest(kind=RequestKind.ACCESS, subject=subject, note="generated client: access")
    created = expect(create_request.sync_detailed(client=requester, body=body), 201, RequestView, "create access")
    print(f"access request {created.id}")
    final = follow(reader, created.id, DONE, timeout)
    package = expect(get_package.sync_detailed(created.id, client=reader), 200, File, "get package")
    data = package.payload.read()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        fail(f"package: {len(data)} bytes that are not a zip")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        if "manifest.json" not in names:
            fail(f"package: no manifest.json among {names}")
        manifest = json.loads(zf.read("manifest.json"))
    if not isinstance(manifest, dict):
        fail("package: manifest.json is not a JSON object")
    print(f"  package: {len(data)} bytes, {len(names)} files, manifest.json with {len(manifest)} keys")
    print(f"access {created.id} {final.status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("LETHE_URL"), help="lethe's base URL [LETHE_URL]")
    parser.add_argument(
        "--requester-token", default=os.environ.get("LETHE_REQUESTER_TOKEN"), help="[LETHE_REQUESTER_TOKEN]"
    )
    parser.add_argument(
        "--approver-token", default=os.environ.get("LETHE_APPROVER_TOKEN"), help="[LETHE_APPROVER_TOKEN]"
    )
    parser.add_argument("--email", action="append", help="subject's email (repeatable)")
    parser.add_argument("--phone", action="append", help="subject's phone (repeatable)")
    parser.add_argument("--name", action="append", help="subject's name (repeatable)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for each status")
    args = parser.parse_args()
    for flag, value in [
        ("--url", args.url),
        ("--requester-token", args.requester_token),
        ("--approver-token", args.approver_token),
    ]:
        if not value:
            parser.error(f"{flag} is required (or its environment variable)")

    if args.email or args.phone or args.name:
        subject = SubjectInput(emails=args.email or UNSET, phones=args.phone or UNSET, names=args.name or UNSET)
    else:
        subject = SubjectInput(emails=["john.smith@example.com"], phones=["+44 1632 960855"])
    requester = AuthenticatedClient(base_url=args.url, token=args.requester_token, raise_on_unexpected_status=True)
    approver = AuthenticatedClient(base_url=args.url, token=args.approver_token, raise_on_unexpected_status=True)
    try:
        with requester, approver:
            # Access first: the erasure removes what the package would show.
            access(requester, approver, subject, args.timeout)
            erasure(requester, approver, subject, args.timeout)
    except errors.UnexpectedStatus as e:
        fail(f"undocumented status {e.status_code}: {e.content[:200]!r}")
    except Exception as e:  # connection refused, a body the models do not parse
        fail(f"{type(e).__name__}: {e}")
    print("lifecycle: OK")


if __name__ == "__main__":
    main()
