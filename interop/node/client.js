// ME's interop suite, node stack (interop_test.go): npm's `soap` builds a
// client from each running service's ?wsdl at run time (createClientAsync is
// node soap's "generate" step: there is no generated source) and drives the
// three flows through all seventeen operations, printing one
// "RESULT <Operation> ok|FAIL <why>" line each, plus "RESULT fault:<service> ok"
// once it has read an MEFault's code. Everything comes from the environment
// run.sh is given; nothing here writes XML or names a namespace.
'use strict';

const soap = require('soap');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const URL = env('INTEROP_URL');
const PASSWORD = env('INTEROP_PASSWORD');
const CITIZEN = env('INTEROP_CITIZEN');
const ORG = env('INTEROP_ORG');
const CASE_NUMBER = env('INTEROP_CASE_NUMBER');
const ESERVICE_ID = env('INTEROP_ESERVICE_ID');
const START_ESERVICE = env('INTEROP_START_ESERVICE');
const ATTACHMENT = Buffer.from(env('INTEROP_ATTACHMENT_B64'), 'base64');
const COMPLETION_TEXT = env('INTEROP_COMPLETION_TEXT');
const STACK = env('INTEROP_STACK');

const CALL_TIMEOUT_MS = 15000;
const WANTED = [
  'PublishEService', 'ListOwnEServices', 'WithdrawEService',
  'ListEServices', 'GetEService', 'CreateStartTicket',
  'ListCases', 'GetCase', 'MarkEventRead', 'GetAttachment', 'SendMessageToHandler',
  'GetCitizenProfile', 'UpdateCitizenProfile', 'CreateCompletionTicket', 'ArchiveCase',
  'RedeemTicket', 'ReportCompletion',
  'fault:portal', 'fault:catalog', 'fault:etjanst',
];

const reported = new Map();

function report(op, err) {
  if (reported.has(op) && reported.get(op) !== 'ok') return; // the first failure stands
  const outcome = err ? `FAIL ${oneLine(err)}` : 'ok';
  reported.set(op, err ? outcome : 'ok');
  console.log(`RESULT ${op} ${outcome}`);
}

function oneLine(err) {
  let msg = err instanceof Error ? err.message : String(err);
  const code = faultCode(err);
  if (code) msg = `MEFault ${code}: ${msg}`;
  return msg.replace(/\s+/g, ' ').slice(0, 400);
}

function check(cond, what) {
  if (!cond) throw new Error(what);
}

// A repeated element (maxOccurs > 1) comes back as an object when there is
// one and an array when there are more: make it always a list.
function list(x) {
  if (x === undefined || x === null) return [];
  return Array.isArray(x) ? x : [x];
}

// faultCode is the code of the MEFault in a SOAP fault node soap rejected
// the call with, as it parsed it from the detail; undefined if none.
function faultCode(err) {
  const fault = err && err.root && err.root.Envelope && err.root.Envelope.Body && err.root.Envelope.Body.Fault;
  const me = fault && fault.detail && fault.detail.MEFault;
  return me ? me.code : undefined;
}

// step runs one operation's call and checks, reporting it under op.
async function step(op, fn) {
  try {
    const out = await fn();
    report(op);
    return out;
  } catch (err) {
    report(op, err);
    return undefined;
  }
}

// expectFault calls an operation that must fail with an MEFault whose code
// is one of codes, and reports fault:<service>.
async function expectFault(service, codes, fn) {
  try {
    await fn();
    report(`fault:${service}`, new Error(`no fault; wanted MEFault ${codes.join(' or ')}`));
  } catch (err) {
    const code = faultCode(err);
    if (codes.includes(code)) report(`fault:${service}`);
    else report(`fault:${service}`, new Error(`wanted MEFault ${codes.join(' or ')}, got ${code ? code : 'no MEFault'}: ${err.message}`));
  }
}

function need(value, what) {
  if (value === undefined || value === null) throw new Error(`skipped: needs ${what}`);
  return value;
}

// deepText gathers every text value in a parsed xs:any subtree.
function deepText(x, out = []) {
  if (x === null || x === undefined) return out;
  if (typeof x !== 'object') {
    out.push(String(x));
    return out;
  }
  for (const [k, v] of Object.entries(x)) {
    if (k === 'attributes') continue;
    deepText(v, out);
  }
  return out;
}

async function client(service, user) {
  const c = await soap.createClientAsync(`${URL}/soap/${service}?wsdl`, {
    wsdl_options: { timeout: CALL_TIMEOUT_MS },
  });
  c.setSecurity(new soap.BasicAuthSecurity(user, PASSWORD));
  return c;
}

// call is one operation: the parsed response body (node soap's first result).
async function call(c, op, args) {
  const [result] = await c[`${op}Async`](args, { timeout: CALL_TIMEOUT_MS });
  return result;
}

async function main() {
  const catalog = await client('catalog', env('INTEROP_CATALOG_CLIENT')).catch((err) => {
    for (const op of ['PublishEService', 'ListOwnEServices', 'WithdrawEService', 'fault:catalog']) report(op, new Error(`catalog ?wsdl: ${err.message}`));
  });
  const portal = await client('portal', env('INTEROP_PORTAL_CLIENT')).catch((err) => {
    for (const op of ['ListEServices', 'GetEService', 'CreateStartTicket', 'ListCases', 'GetCase', 'MarkEventRead',
      'GetAttachment', 'SendMessageToHandler', 'GetCitizenProfile', 'UpdateCitizenProfile', 'CreateCompletionTicket',
      'ArchiveCase', 'fault:portal']) report(op, new Error(`portal ?wsdl: ${err.message}`));
  });
  const etjanst = await client('etjanst', env('INTEROP_ETJANST_CLIENT')).catch((err) => {
    for (const op of ['RedeemTicket', 'ReportCompletion', 'fault:etjanst']) report(op, new Error(`etjanst ?wsdl: ${err.message}`));
  });

  // Catalog: publish an e-service with a Swedish name, optional elements absent.
  const pubName = `Ansökan om båtplats (${STACK}): åäö ÅÄÖ`;
  if (catalog) {
    await step('PublishEService', async () => {
      const r = await call(catalog, 'PublishEService', {
        eService: {
          id: ESERVICE_ID,
          name: { sv: pubName },
          description: { sv: 'Ansök om en båtplats i kommunens hamnar, även för släpvagn.' },
          startUrl: `https://etjanst.example/${ESERVICE_ID}`,
          authenticationLevel: 3,
        },
      });
      const e = r && r.publishedEService;
      check(e, 'no publishedEService in the answer');
      check(e.id === ESERVICE_ID, `published id ${e.id}, want ${ESERVICE_ID}`);
      check(e.name && e.name.sv === pubName, `published name.sv ${JSON.stringify(e.name)}, want ${pubName}`);
      check(e.organisationNumber === ORG, `organisationNumber ${e.organisationNumber}, want ${ORG}`);
      check(e.contact === undefined && e.name.en === undefined, 'optional elements left out came back present');
      check(e.published, 'no published time');
    });
    await step('ListOwnEServices', async () => {
      const r = await call(catalog, 'ListOwnEServices', {});
      const ids = list(r && r.eService).map((e) => e.id);
      check(ids.includes(ESERVICE_ID), `${ESERVICE_ID} not among ${JSON.stringify(ids)}`);
    });
  }

  let startTicket, caseId, olderEvent, newerEvent, messageAction, completeAction, completionTicket;
  if (portal) {
    await step('ListEServices', async () => {
      const r = await call(portal, 'ListEServices', {});
      const found = list(r && r.eService).find((e) => e.id === START_ESERVICE);
      check(found, `${START_ESERVICE} not listed`);
      check(found.name && /ö/.test(found.name.sv), `name.sv ${JSON.stringify(found.name)} lost its åäö`);
    });
    await step('GetEService', async () => {
      const r = await call(portal, 'GetEService', { eServiceId: ESERVICE_ID });
      const e = r && r.eService;
      check(e && e.id === ESERVICE_ID, `got ${JSON.stringify(e && e.id)}, want ${ESERVICE_ID}`);
      check(e.name && e.name.sv === pubName, `name.sv ${JSON.stringify(e.name)}, want ${pubName}`);
      check(e.contact === undefined && e.area === undefined, 'optional elements never published came back present');
    });
    startTicket = await step('CreateStartTicket', async () => {
      const r = await call(portal, 'CreateStartTicket', { citizen: CITIZEN, eServiceId: START_ESERVICE });
      const t = r && r.ticket;
      check(t && t.ticket, 'no ticket in the answer');
      check(String(t.url).includes(t.ticket), `url ${t.url} does not carry the ticket`);
      return t.ticket;
    });
    caseId = await step('ListCases', async () => {
      const r = await call(portal, 'ListCases', { citizen: CITIZEN });
      const cases = list(r && r.caseSummary);
      const found = cases.find((c) => c.caseNumber === CASE_NUMBER);
      check(found, `no case with caseNumber ${CASE_NUMBER}; the citizen's cases: ${JSON.stringify(cases.map((c) => ({ caseNumber: c.caseNumber, title: c.title && c.title.sv })))}`);
      check(found.title && found.title.sv === `Ärende för ${STACK}: åäö ÅÄÖ`, `title ${JSON.stringify(found.title)}`);
      check(found.status === 'closed', `status ${found.status}, want closed`);
      return found.id;
    });
    await step('GetCase', async () => {
      const r = await call(portal, 'GetCase', { citizen: CITIZEN, caseId: need(caseId, 'ListCases') });
      const d = r && r.caseDetail;
      check(d && d.summary && d.summary.caseNumber === CASE_NUMBER, 'caseDetail is not the case asked for');
      const events = list(d.caseEvent);
      check(events.length === 2, `${events.length} events, want 2`);
      [newerEvent, olderEvent] = events; // newest first
      const types = (e) => list(e.action).map((a) => a.type);
      check(JSON.stringify(types(olderEvent)) === '["download","message","complete"]', `older event's actions ${JSON.stringify(types(olderEvent))}`);
      check(JSON.stringify(types(newerEvent)) === '["archive"]', `newer event's actions ${JSON.stringify(types(newerEvent))}`);
      check(list(olderEvent.attachment).length === 1, 'older event has no attachment');
      check(list(olderEvent.attachment)[0].fileName === 'bilaga åäö.txt', `attachment fileName ${list(olderEvent.attachment)[0].fileName}`);
      check(olderEvent.title.sv === 'Komplettering behövs – bilaga', `older event's title ${JSON.stringify(olderEvent.title)}`);
      messageAction = list(olderEvent.action).find((a) => a.type === 'message');
      completeAction = list(olderEvent.action).find((a) => a.type === 'complete');
      check(completeAction.eServiceId === 'interop-komplettering', `complete action's eServiceId ${completeAction.eServiceId}`);
    });
    await step('MarkEventRead', async () => {
      const ev = need(olderEvent, 'GetCase');
      const r = await call(portal, 'MarkEventRead', { citizen: CITIZEN, eventId: ev.id });
      check(r && r.readAt, 'no readAt in the answer');
    });
    await step('GetAttachment', async () => {
      const info = list(need(olderEvent, 'GetCase').attachment)[0];
      const r = await call(portal, 'GetAttachment', { citizen: CITIZEN, attachmentId: info.id });
      check(r && typeof r.content === 'string', `content ${typeof (r && r.content)}, want base64 text`);
      const got = Buffer.from(r.content, 'base64');
      check(got.equals(ATTACHMENT), `content ${JSON.stringify(got.toString('utf8'))}, want ${JSON.stringify(ATTACHMENT.toString('utf8'))}`);
      check(r.fileName === 'bilaga åäö.txt', `fileName ${r.fileName}`);
      check(r.mediaType === 'text/plain', `mediaType ${r.mediaType}`);
    });
    await step('SendMessageToHandler', async () => {
      need(messageAction, 'GetCase');
      const r = await call(portal, 'SendMessageToHandler', {
        citizen: CITIZEN, caseId, eventId: olderEvent.id, text: `Hej! Ritningen kommer på fredag, åäö ÅÄÖ (${STACK}).`,
      });
      check(r && r.messageEventId, 'no messageEventId in the answer');
      check(r.messageEventId !== olderEvent.id, 'messageEventId is the event replied to');
    });
    let profile;
    await step('GetCitizenProfile', async () => {
      const r = await call(portal, 'GetCitizenProfile', { citizen: CITIZEN });
      profile = r && r.profile;
      check(profile && profile.personalIdentityNumber === CITIZEN, `profile of ${JSON.stringify(profile && profile.personalIdentityNumber)}`);
      check(profile.language && profile.notificationChannel, 'language or notificationChannel missing');
    });
    await step('UpdateCitizenProfile', async () => {
      const p = need(profile, 'GetCitizenProfile');
      const email = `tolvan.${STACK}@example.se`;
      // The profile as read, with an e-mail: node soap writes the elements
      // in the schema's order, and those the citizen has not given
      // (address, mobile) stay absent.
      check(p.mobile === undefined && p.address === undefined, 'the profile has a mobile or address the case never gave');
      const r = await call(portal, 'UpdateCitizenProfile', { profile: { ...p, email, notificationChannel: 'email' } });
      const s = r && r.storedProfile;
      check(s && s.email === email, `stored email ${JSON.stringify(s && s.email)}, want ${email}`);
      check(s.notificationChannel === 'email', `stored notificationChannel ${s.notificationChannel}`);
      check(s.mobile === undefined, 'mobile came back though none was sent');
    });
    completionTicket = await step('CreateCompletionTicket', async () => {
      const a = need(completeAction, 'GetCase');
      const r = await call(portal, 'CreateCompletionTicket', { citizen: CITIZEN, eventId: olderEvent.id, actionId: a.id });
      const t = r && r.ticket;
      check(t && t.ticket, 'no ticket in the answer');
      check(String(t.url).includes('interop-komplettering'), `url ${t.url} is not the komplettering e-service's`);
      return t.ticket;
    });
  }

  // The e-service redeems both tickets and reports the completion.
  if (etjanst) {
    let completion;
    await step('RedeemTicket', async () => {
      const r = await call(etjanst, 'RedeemTicket', { ticket: need(startTicket, 'CreateStartTicket') });
      check(r && r.purpose === 'start', `purpose ${r && r.purpose}, want start`);
      check(r.eServiceId === START_ESERVICE, `eServiceId ${r.eServiceId}`);
      check(r.citizen && r.citizen.personalIdentityNumber === CITIZEN, 'not the citizen the ticket was made for');
      check(r.completion === undefined, 'a start ticket came back with a completion');
    });
    await step('RedeemTicket', async () => {
      const r = await call(etjanst, 'RedeemTicket', { ticket: need(completionTicket, 'CreateCompletionTicket') });
      check(r && r.purpose === 'completion', `purpose ${r && r.purpose}, want completion`);
      check(r.eServiceId === 'interop-komplettering', `eServiceId ${r.eServiceId}`);
      completion = r.completion;
      check(completion && completion.caseId === caseId, `completion.caseId ${completion && completion.caseId}, want ${caseId}`);
      check(completion.caseNumber === CASE_NUMBER, `completion.caseNumber ${completion.caseNumber}`);
      check(completion.actionId === completeAction.id, `completion.actionId ${completion.actionId}`);
      const texts = deepText(completion.data);
      check(texts.includes(COMPLETION_TEXT), `completion data ${JSON.stringify(completion.data)} lacks ${COMPLETION_TEXT}`);
    });
    await step('ReportCompletion', async () => {
      const c = need(completion, 'RedeemTicket of the completion ticket');
      const r = await call(etjanst, 'ReportCompletion', { caseId: c.caseId, actionId: c.actionId, reference: `${STACK}-1`, citizen: CITIZEN });
      check(r && r.eventId, 'no eventId in the answer');
    });
    await expectFault('etjanst', ['TicketUsed', 'InvalidTicket'], () => call(etjanst, 'RedeemTicket', { ticket: need(startTicket, 'CreateStartTicket') }));
  }

  if (portal) {
    await step('ArchiveCase', async () => {
      const r = await call(portal, 'ArchiveCase', { citizen: CITIZEN, caseId: need(caseId, 'ListCases') });
      check(r && r.archivedAt, 'no archivedAt in the answer');
      const l = await call(portal, 'ListCases', { citizen: CITIZEN });
      check(!list(l && l.caseSummary).some((c) => c.id === caseId), 'the archived case is still in the default ListCases');
    });
    await expectFault('portal', ['NotFound'], () => call(portal, 'GetCase', { citizen: CITIZEN, caseId: 'finns-inte-0000' }));
  }

  if (catalog) {
    await step('WithdrawEService', async () => {
      const r = await call(catalog, 'WithdrawEService', { eServiceId: ESERVICE_ID });
      const e = r && r.eService;
      check(e && e.id === ESERVICE_ID, `withdrew ${JSON.stringify(e && e.id)}`);
      check(e.withdrawn, 'no withdrawn time');
    });
    await expectFault('catalog', ['NotFound'], () => call(catalog, 'WithdrawEService', { eServiceId: `finns-inte-${STACK}` }));
  }
}

// A watchdog, so that a stuck call never holds the suite: report what is
// missing and stop.
const RUN_TIMEOUT_MS = 120000;
setTimeout(() => {
  for (const op of WANTED) if (!reported.has(op)) report(op, new Error(`client.js stopped after ${RUN_TIMEOUT_MS / 1000} s`));
  process.exit(2);
}, RUN_TIMEOUT_MS).unref();

main()
  .catch((err) => console.log(`client.js: ${err && err.stack ? err.stack : err}`))
  .finally(() => {
    for (const op of WANTED) if (!reported.has(op)) report(op, new Error('not reached'));
  });
