"""The zeep stack of ME's interop suite (interop_test.go).

zeep builds its client from the running server's WSDL (the same API that
`python3 -m zeep URL?wsdl` prints) and this script drives the seed's three
flows through all seventeen operations, printing one line per operation:
"RESULT <Operation> ok" or "RESULT <Operation> FAIL <why>", and
"RESULT fault:<service> ok" once it has read the MEFault code of a fault from
that service through zeep's typed element.
"""

import base64
import os
import sys
import traceback

from requests import Session
from zeep import Client
from zeep.exceptions import Fault
from zeep.transports import Transport

FAULT = "{http://minaengagemang.se/schema/fault/v1}MEFault"

env = os.environ
URL = env["INTEROP_URL"]
PASSWORD = env["INTEROP_PASSWORD"]
CITIZEN = env["INTEROP_CITIZEN"]
CASE_NUMBER = env["INTEROP_CASE_NUMBER"]
ESERVICE_ID = env["INTEROP_ESERVICE_ID"]
START_ESERVICE = env["INTEROP_START_ESERVICE"]
ATTACHMENT = base64.b64decode(env["INTEROP_ATTACHMENT_B64"])
COMPLETION_TEXT = env["INTEROP_COMPLETION_TEXT"]

ESERVICE_NAME = "Ansökan om bygglov för altan, åäö ÅÄÖ (zeep)"
MESSAGE_TEXT = "Hej! Bifogar ritningen för Solrosen 4 – åäö ÅÄÖ."
EMAIL = "tolvan.zeep@example.se"


def client(service, user):
    """A zeep client of one service, built from its ?wsdl, with HTTP Basic."""
    session = Session()
    session.auth = (user, PASSWORD)
    transport = Transport(session=session, timeout=30, operation_timeout=30)
    return Client(f"{URL}/soap/{service}?wsdl", transport=transport)


class Check(Exception):
    """A value the server answered is not the one the flow expects."""


def check(cond, why):
    if not cond:
        raise Check(why)


failed = False


def result(op, fn):
    """Runs one step and prints its RESULT line; returns fn's value or None."""
    global failed
    try:
        value = fn()
    except Fault as f:
        failed = True
        print(f"RESULT {op} FAIL fault {f.code}: {f.message}", flush=True)
        return None
    except Check as e:
        failed = True
        print(f"RESULT {op} FAIL {e}", flush=True)
        return None
    except Exception as e:  # noqa: BLE001 - every failure is a result line
        failed = True
        why = " ".join(f"{type(e).__name__}: {e}".split())
        print(f"RESULT {op} FAIL {why[:400]}", flush=True)
        traceback.print_exc(file=sys.stderr)
        return None
    print(f"RESULT {op} ok", flush=True)
    return value


def fault_code(c, call):
    """Makes a call that must fail and returns its MEFault code, read through
    zeep's typed MEFault element from the fault's detail."""
    try:
        call()
    except Fault as f:
        check(f.detail is not None and len(f.detail) > 0, f"fault without detail: {f.message}")
        me_fault = c.get_element(FAULT).parse(f.detail[0], c.wsdl.types)
        return me_fault.code
    raise Check("the call succeeded; a fault was expected")


def expect_fault(c, call, codes):
    def run():
        code = fault_code(c, call)
        check(code in codes, f"MEFault code {code!r}, want one of {codes}")
    return run


OPERATIONS = {
    "catalog": ["PublishEService", "ListOwnEServices", "WithdrawEService", "fault:catalog"],
    "portal": ["ListEServices", "GetEService", "CreateStartTicket", "ListCases", "GetCase",
               "MarkEventRead", "GetAttachment", "SendMessageToHandler", "GetCitizenProfile",
               "UpdateCitizenProfile", "CreateCompletionTicket", "ArchiveCase", "fault:portal"],
    "etjanst": ["RedeemTicket", "ReportCompletion", "fault:etjanst"],
}

clients = {}
for service, user in (("catalog", "INTEROP_CATALOG_CLIENT"), ("portal", "INTEROP_PORTAL_CLIENT"),
                      ("etjanst", "INTEROP_ETJANST_CLIENT")):
    try:
        clients[service] = client(service, env[user])
    except Exception as e:  # noqa: BLE001 - no client: every operation of it fails
        traceback.print_exc(file=sys.stderr)
        for op in OPERATIONS[service]:
            print(f"RESULT {op} FAIL zeep could not read {service}?wsdl: {' '.join(str(e).split())[:300]}")
if len(clients) < 3:
    sys.exit(1)
catalog, portal, etjanst = clients["catalog"], clients["portal"], clients["etjanst"]


# --- catalog: publish, find, a fault --------------------------------------

def publish():
    r = catalog.service.PublishEService(eService={
        "id": ESERVICE_ID,
        "name": {"sv": ESERVICE_NAME},
        "description": {"sv": "Ansök om bygglov för en altan på din tomt."},
        "startUrl": "https://etjanst.example/" + ESERVICE_ID,
        "authenticationLevel": 3,
    })
    check(r.id == ESERVICE_ID, f"published id {r.id!r}")
    check(r.name.sv == ESERVICE_NAME, f"published name {r.name.sv!r}")
    check(r.name.en is None, f"name.en {r.name.en!r}, sent none")
    check(r.contact is None and r.withdrawn is None, "contact or withdrawn present, sent none")
    check(r.ticketParameter == "ticket", f"ticketParameter {r.ticketParameter!r}, want the default")


def list_own():
    own = catalog.service.ListOwnEServices() or []
    check(any(e.id == ESERVICE_ID for e in own), f"{ESERVICE_ID} not among {[e.id for e in own]}")


result("PublishEService", publish)
result("ListOwnEServices", list_own)
result("fault:catalog", expect_fault(
    catalog, lambda: catalog.service.WithdrawEService(eServiceId="interop-finns-inte"), ["NotFound"]))


# --- portal: e-services and a start ticket the e-service redeems -----------

def list_eservices():
    found = portal.service.ListEServices() or []
    check(any(e.id == START_ESERVICE for e in found), f"{START_ESERVICE} not among {[e.id for e in found]}")


def get_eservice():
    e = portal.service.GetEService(eServiceId=ESERVICE_ID)
    check(e.id == ESERVICE_ID, f"id {e.id!r}")
    check(e.name.sv == ESERVICE_NAME, f"name {e.name.sv!r}, want {ESERVICE_NAME!r}")


def start_ticket():
    t = portal.service.CreateStartTicket(citizen=CITIZEN, eServiceId=START_ESERVICE)
    check(t.ticket and t.ticket in t.url, f"ticket {t.ticket!r} not in url {t.url!r}")
    check(t.expires is not None, "no expiry")
    return t.ticket


def redeem_start(ticket):
    def run():
        check(ticket, "no start ticket (CreateStartTicket failed)")
        r = etjanst.service.RedeemTicket(ticket=ticket)
        check(r.purpose == "start", f"purpose {r.purpose!r}")
        check(r.eServiceId == START_ESERVICE, f"eServiceId {r.eServiceId!r}")
        check(r.citizen.personalIdentityNumber == CITIZEN, f"citizen {r.citizen.personalIdentityNumber!r}")
        check(r.completion is None, "completion present on a start ticket")
    return run


result("ListEServices", list_eservices)
result("GetEService", get_eservice)
start = result("CreateStartTicket", start_ticket)
result("RedeemTicket", redeem_start(start))
result("fault:etjanst", expect_fault(
    etjanst, lambda: etjanst.service.RedeemTicket(ticket=start or "A" * 32),
    ["TicketUsed", "InvalidTicket"]))


# --- portal: the citizen's case --------------------------------------------

def list_cases():
    token, seen = None, []
    while True:
        page = portal.service.ListCases(citizen=CITIZEN, pageToken=token)
        for c in page.caseSummary or []:
            if c.caseNumber == CASE_NUMBER:
                check("åäö ÅÄÖ" in c.title.sv, f"title {c.title.sv!r}")
                return c.id
            seen.append((c.caseNumber, c.title.sv))
        token = page.nextPageToken
        if not token:
            raise Check(f"no case {CASE_NUMBER!r} in ListCases; its (caseNumber, title): {seen}")


state = {}


def get_case(case_id):
    def run():
        check(case_id, "no case (ListCases failed)")
        d = portal.service.GetCase(citizen=CITIZEN, caseId=case_id)
        check(d.summary.id == case_id, f"summary id {d.summary.id!r}")
        check(d.summary.status == "closed", f"status {d.summary.status!r}")
        events = d.caseEvent or []
        check(len(events) >= 2, f"{len(events)} events, want 2")
        newer, older = events[0], events[1]
        check([a.type for a in newer.action] == ["archive"], f"newer event's actions {[a.type for a in newer.action]}")
        types = {a.type: a for a in older.action}
        check(set(types) == {"download", "message", "complete"}, f"older event's actions {sorted(types)}")
        check(len(older.attachment) == 1, f"{len(older.attachment)} attachments")
        att = older.attachment[0]
        check(att.fileName == "bilaga åäö.txt", f"attachment name {att.fileName!r}")
        check(att.size == len(ATTACHMENT), f"attachment size {att.size}, want {len(ATTACHMENT)}")
        check(types["download"].attachmentId == att.id, "download action names another attachment")
        check(types["complete"].eServiceId is not None, "complete action without eServiceId")
        check(types["message"].dueDate is None, "message action with a dueDate")
        state.update(case=case_id, event=older.id, attachment=att.id, complete=types["complete"].id)
    return run


def mark_read():
    check(state.get("event"), "no event (GetCase failed)")
    r = portal.service.MarkEventRead(citizen=CITIZEN, eventId=state["event"])
    check(r is not None, "no readAt")


def get_attachment():
    check(state.get("attachment"), "no attachment (GetCase failed)")
    a = portal.service.GetAttachment(citizen=CITIZEN, attachmentId=state["attachment"])
    check(a.content == ATTACHMENT, f"content {a.content!r}, want {ATTACHMENT!r}")
    check(a.fileName == "bilaga åäö.txt", f"fileName {a.fileName!r}")
    check(a.mediaType == "text/plain", f"mediaType {a.mediaType!r}")


def send_message():
    check(state.get("event"), "no event (GetCase failed)")
    new_event = portal.service.SendMessageToHandler(
        citizen=CITIZEN, caseId=state["case"], eventId=state["event"], text=MESSAGE_TEXT)
    check(new_event and new_event != state["event"], f"messageEventId {new_event!r}")
    d = portal.service.GetCase(citizen=CITIZEN, caseId=state["case"])
    mine = [e for e in d.caseEvent if e.id == new_event]
    check(mine and mine[0].fromCitizen, "the message event is not on the case as the citizen's")


case_id = result("ListCases", list_cases)
result("GetCase", get_case(case_id))
result("fault:portal", expect_fault(
    portal, lambda: portal.service.GetCase(citizen=CITIZEN, caseId="finns-inte-0000"), ["NotFound"]))
result("MarkEventRead", mark_read)
result("GetAttachment", get_attachment)
result("SendMessageToHandler", send_message)


# --- portal: the profile -----------------------------------------------------

def get_profile():
    p = portal.service.GetCitizenProfile(citizen=CITIZEN)
    check(p.personalIdentityNumber == CITIZEN, f"personalIdentityNumber {p.personalIdentityNumber!r}")
    check(p.language in ("sv", "en"), f"language {p.language!r}")
    return p


def update_profile(p):
    def run():
        check(p is not None, "no profile (GetCitizenProfile failed)")
        # The profile as read, with an e-mail address; its absent optional
        # elements (address, mobile, …) stay absent.
        p.email = EMAIL
        s = portal.service.UpdateCitizenProfile(profile=p)
        check(s.email == EMAIL, f"stored email {s.email!r}")
        check(s.personalIdentityNumber == CITIZEN, f"stored citizen {s.personalIdentityNumber!r}")
        check(s.mobile is None, f"stored mobile {s.mobile!r}, sent none")
        again = portal.service.GetCitizenProfile(citizen=CITIZEN)
        check(again.email == EMAIL, f"email read back {again.email!r}")
    return run


profile = result("GetCitizenProfile", get_profile)
result("UpdateCitizenProfile", update_profile(profile))


# --- completion: ticket, redeemed with the case system's data, reported ------

def completion_ticket():
    check(state.get("complete"), "no complete action (GetCase failed)")
    t = portal.service.CreateCompletionTicket(citizen=CITIZEN, eventId=state["event"], actionId=state["complete"])
    check(t.ticket and t.ticket in t.url, f"ticket {t.ticket!r} not in url {t.url!r}")
    return t.ticket


def redeem_completion(ticket):
    def run():
        check(ticket, "no completion ticket (CreateCompletionTicket failed)")
        r = etjanst.service.RedeemTicket(ticket=ticket)
        check(r.purpose == "completion", f"purpose {r.purpose!r}")
        check(r.citizen.personalIdentityNumber == CITIZEN, f"citizen {r.citizen.personalIdentityNumber!r}")
        c = r.completion
        check(c is not None, "no completion")
        check(c.caseId == state["case"] and c.actionId == state["complete"], f"completion of {c.caseId}/{c.actionId}")
        check(c.caseNumber == CASE_NUMBER, f"caseNumber {c.caseNumber!r}")
        check(c.data is not None, "no completion data")
        # zeep gives xs:any content as lxml elements in _value_1.
        elements = c.data._value_1 or []
        text = "".join("".join(e.itertext()) for e in elements if hasattr(e, "itertext"))
        check(COMPLETION_TEXT in text, f"completion data {text!r} lacks {COMPLETION_TEXT!r}")
        check(any(e.tag == "{urn:example:interop}begäran" for e in elements),
              f"data elements {[getattr(e, 'tag', e) for e in elements]}")
        return c
    return run


def report(c):
    def run():
        check(c is not None, "no completion (RedeemTicket failed)")
        event = etjanst.service.ReportCompletion(caseId=c.caseId, actionId=c.actionId, reference="ZEEP-1", citizen=CITIZEN)
        check(event, "no eventId")
    return run


ticket = result("CreateCompletionTicket", completion_ticket)
completion = result("RedeemTicket", redeem_completion(ticket))
result("ReportCompletion", report(completion))


# --- last: archive the case, withdraw the e-service ------------------------

def archive():
    check(state.get("case"), "no case (ListCases failed)")
    at = portal.service.ArchiveCase(citizen=CITIZEN, caseId=state["case"])
    check(at is not None, "no archivedAt")
    d = portal.service.GetCase(citizen=CITIZEN, caseId=state["case"])
    check(d.summary.archived, "the case is not archived")


def withdraw():
    e = catalog.service.WithdrawEService(eServiceId=ESERVICE_ID)
    check(e.id == ESERVICE_ID, f"id {e.id!r}")
    check(e.withdrawn is not None, "no withdrawal date")


result("ArchiveCase", archive)
result("WithdrawEService", withdraw)

sys.exit(1 if failed else 0)
