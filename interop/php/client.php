<?php
// The interop suite's PHP stack: PHP's SoapClient (ext-soap) in WSDL mode
// reads each service's ?wsdl from the running ME, with its imported schemas,
// and builds the client at runtime; there is no generated file to write.
// It drives the seed's three flows through all seventeen operations and
// reads a typed MEFault from each service, printing one line per operation:
// "RESULT <Operation> ok" or "RESULT <Operation> FAIL <why>" (see
// ../interop_test.go).

declare(strict_types=1);

// A call that gets no answer fails instead of hanging the suite.
ini_set('default_socket_timeout', '10');

const WANTED = ['PublishEService', 'ListOwnEServices', 'WithdrawEService',
    'ListEServices', 'GetEService', 'CreateStartTicket',
    'ListCases', 'GetCase', 'MarkEventRead', 'GetAttachment', 'SendMessageToHandler',
    'GetCitizenProfile', 'UpdateCitizenProfile', 'CreateCompletionTicket', 'ArchiveCase',
    'RedeemTicket', 'ReportCompletion',
    'fault:portal', 'fault:catalog', 'fault:etjanst'];

function env(string $name): string
{
    $v = getenv($name);
    if ($v === false || $v === '') {
        fwrite(STDERR, "client.php: $name is not set\n");
        exit(2);
    }
    return $v;
}

$url = rtrim(env('INTEROP_URL'), '/');
$password = env('INTEROP_PASSWORD');
$citizen = env('INTEROP_CITIZEN');
$org = env('INTEROP_ORG');
$caseNumber = env('INTEROP_CASE_NUMBER');
$ownId = env('INTEROP_ESERVICE_ID');
$startId = env('INTEROP_START_ESERVICE');
$attachment = base64_decode(env('INTEROP_ATTACHMENT_B64'), true);
$completionText = env('INTEROP_COMPLETION_TEXT');

/** @var array<string,string> $reported operation → "ok" or the failure */
$reported = [];
/** @var array<string,string> $missing why a value step() needs is missing, when not an earlier step's failure */
$missing = [];

function report(string $op, string $outcome): void
{
    global $reported;
    if (isset($reported[$op]) && $reported[$op] !== 'ok') {
        return; // the first failure stands
    }
    $reported[$op] = $outcome;
    echo $outcome === 'ok' ? "RESULT $op ok\n" : "RESULT $op FAIL $outcome\n";
}

/** Thrown by check() when a value is not what the flow expects. */
final class Mismatch extends RuntimeException
{
}

function check(bool $cond, string $what): void
{
    if (!$cond) {
        throw new Mismatch($what);
    }
}

/** One line of text for a failure, with the MEFault code when there is one. */
function describe(Throwable $e): string
{
    if ($e instanceof SoapFault) {
        $code = faultCode($e);
        $s = "SoapFault {$e->faultcode}: {$e->getMessage()}" . ($code !== null ? " (MEFault code $code)" : '');
    } else {
        $s = get_class($e) . ': ' . $e->getMessage();
    }
    return trim(preg_replace('/\s+/', ' ', $s));
}

/** The typed detail's code: SoapClient decodes the detail by the WSDL's MEFault part. */
function faultCode(SoapFault $f): ?string
{
    $d = $f->detail ?? null;
    if (is_object($d) && isset($d->MEFault) && is_object($d->MEFault) && isset($d->MEFault->code)) {
        return (string)$d->MEFault->code;
    }
    return null;
}

/**
 * Runs one operation's step and reports it. $needs names the values it
 * depends on; when one is missing, an earlier step failed and this one
 * is reported as skipped rather than called.
 */
function step(string $op, callable $f, array $needs = [])
{
    global $missing;
    foreach ($needs as $what => $v) {
        if ($v === null) {
            report($op, "skipped: no $what (" . ($missing[$what] ?? 'an earlier step failed') . ')');
            return null;
        }
    }
    try {
        $r = $f();
        report($op, 'ok');
        return $r;
    } catch (Throwable $e) {
        report($op, describe($e));
        return null;
    }
}

/** Expects $f to fail with a SoapFault carrying a typed MEFault code in $codes. */
function fault(string $service, callable $f, array $codes): void
{
    try {
        $f();
        report("fault:$service", 'no fault: the call succeeded');
    } catch (SoapFault $e) {
        $code = faultCode($e);
        if ($code === null) {
            report("fault:$service", 'no MEFault code in SoapFault->detail: ' . describe($e));
        } elseif (!in_array($code, $codes, true)) {
            report("fault:$service", "MEFault code $code, want " . implode(' or ', $codes));
        } else {
            report("fault:$service", 'ok');
        }
    } catch (Throwable $e) {
        report("fault:$service", describe($e));
    }
}

/** A list element: with SOAP_SINGLE_ELEMENT_ARRAYS an array, absent when empty. */
function items(object $o, string $name): array
{
    return isset($o->$name) ? (array)$o->$name : [];
}

function client(string $service, string $user): ?SoapClient
{
    global $url, $password, $missing;
    try {
        return new SoapClient("$url/soap/$service?wsdl", [
            'login' => $user,
            'password' => $password,
            'trace' => true,
            'exceptions' => true,
            'cache_wsdl' => WSDL_CACHE_NONE,
            'features' => SOAP_SINGLE_ELEMENT_ARRAYS,
            'connection_timeout' => 10,
        ]);
    } catch (Throwable $e) {
        $missing["$service client"] = "new SoapClient($url/soap/$service?wsdl): " . describe($e);
        return null;
    }
}

$portal = client('portal', env('INTEROP_PORTAL_CLIENT'));
$catalog = client('catalog', env('INTEROP_CATALOG_CLIENT'));
$etjanst = client('etjanst', env('INTEROP_ETJANST_CLIENT'));

// Catalog: publish an e-service with only the required elements.
$ownName = 'Bygglov för altan, åäö ÅÄÖ';
step('PublishEService', function () use ($catalog, $ownId, $ownName, $org) {
    $r = $catalog->PublishEService(['eService' => [
        'id' => $ownId,
        'name' => ['sv' => $ownName],
        'description' => ['sv' => 'Ansök om bygglov för en altan på din tomt.'],
        'startUrl' => "https://etjanst.example/$ownId",
        'authenticationLevel' => 3,
    ]]);
    $req = $catalog->__getLastRequest();
    foreach (['area', 'ticketParameter', 'contact', 'en'] as $absent) {
        check(!preg_match("/<(\\w+:)?{$absent}[\\s>\\/]/", $req), "request has <$absent> though it was left out");
    }
    $e = $r->publishedEService;
    check($e->id === $ownId, "publishedEService id {$e->id}, want $ownId");
    check($e->name->sv === $ownName, "name {$e->name->sv}, want $ownName");
    check($e->organisationNumber === $org, "organisationNumber {$e->organisationNumber}, want $org");
    check($e->ticketParameter === 'ticket', "ticketParameter {$e->ticketParameter}, want the default ticket");
    check(!isset($e->withdrawn), 'a newly published e-service has withdrawn set');
    check(items($e, 'area') === [], 'areas present though none were published');
    return $e;
}, ['catalog client' => $catalog]);

step('ListOwnEServices', function () use ($catalog, $ownId, $ownName) {
    $r = $catalog->ListOwnEServices([]);
    foreach (items($r, 'eService') as $e) {
        if ($e->id === $ownId) {
            check($e->name->sv === $ownName, "name {$e->name->sv}, want $ownName");
            return $e;
        }
    }
    throw new Mismatch("$ownId not among the organisation's e-services");
}, ['catalog client' => $catalog]);

// Portal: the catalog as the citizen sees it, and a start ticket.
step('ListEServices', function () use ($portal, $startId) {
    $r = $portal->ListEServices([]);
    foreach (items($r, 'eService') as $e) {
        if ($e->id === $startId) {
            check($e->name->sv === 'Ansökan om tillstånd', "name {$e->name->sv}, want Ansökan om tillstånd");
            return $e;
        }
    }
    throw new Mismatch("$startId not listed");
}, ['portal client' => $portal]);

step('GetEService', function () use ($portal, $ownId, $ownName) {
    $e = $portal->GetEService(['eServiceId' => $ownId])->eService;
    check($e->id === $ownId, "id {$e->id}, want $ownId");
    check($e->name->sv === $ownName, "name {$e->name->sv}, want $ownName");
    check(!isset($e->name->en), 'name has an English variant though none was published');
    return $e;
}, ['portal client' => $portal]);

$startTicket = step('CreateStartTicket', function () use ($portal, $citizen, $startId) {
    $t = $portal->CreateStartTicket(['citizen' => $citizen, 'eServiceId' => $startId])->ticket;
    check(strlen($t->ticket) >= 22, "ticket {$t->ticket} is too short");
    check(str_starts_with($t->url, 'https://etjanst.example/interop-start'), "url {$t->url} is not the e-service's");
    check(str_contains($t->url, 'ticket=' . $t->ticket), "url {$t->url} does not carry the ticket");
    check($t->expires !== '', 'no expiry');
    return $t->ticket;
}, ['portal client' => $portal]);

// E-service: the citizen arrives with the start ticket.
step('RedeemTicket', function () use ($etjanst, $startTicket, $startId, $citizen) {
    $r = $etjanst->RedeemTicket(['ticket' => $startTicket]);
    check($r->purpose === 'start', "purpose {$r->purpose}, want start");
    check($r->eServiceId === $startId, "eServiceId {$r->eServiceId}, want $startId");
    check($r->citizen->personalIdentityNumber === $citizen, "citizen {$r->citizen->personalIdentityNumber}, want $citizen");
    check(!isset($r->completion), 'a start ticket came with a completion');
    return $r;
}, ['etjanst client' => $etjanst, 'start ticket' => $startTicket]);

// Portal: the stack's case, its events, attachment and actions.
$caseIdByTitle = null;
$caseId = step('ListCases', function () use ($portal, $citizen, $caseNumber) {
    $cases = [];
    $token = null;
    do {
        $r = $portal->ListCases(['citizen' => $citizen] + ($token !== null ? ['pageToken' => $token] : []));
        $cases = array_merge($cases, items($r, 'caseSummary'));
        $token = $r->nextPageToken ?? null;
    } while ($token !== null && count($cases) < 1000);
    foreach ($cases as $c) {
        if (($c->caseNumber ?? null) === $caseNumber) {
            check(str_contains($c->title->sv, 'åäö ÅÄÖ'), "title {$c->title->sv} lost its åäö");
            check($c->status === 'closed', "status {$c->status}, want closed");
            check($c->archived === false, 'the case is archived already');
            return $c->id;
        }
    }
    // Not found: say whether the case is there without its caseNumber, and
    // go on with it so the later operations are still tried.
    global $caseIdByTitle;
    $stack = getenv('INTEROP_STACK') ?: 'php';
    foreach ($cases as $c) {
        if ($c->title->sv === "Ärende för $stack: åäö ÅÄÖ") {
            $caseIdByTitle = $c->id;
            throw new Mismatch("no case with caseNumber $caseNumber; the case titled {$c->title->sv} has caseNumber "
                . ($c->caseNumber ?? '(absent)'));
        }
    }
    throw new Mismatch("no case with caseNumber $caseNumber among " . count($cases) . ' cases');
}, ['portal client' => $portal]) ?? $caseIdByTitle;

// The older event (download, message, complete) and the newer (archive).
$case = step('GetCase', function () use ($portal, $citizen, $caseId) {
    $d = $portal->GetCase(['citizen' => $citizen, 'caseId' => $caseId])->caseDetail;
    check($d->summary->id === $caseId, "summary id {$d->summary->id}, want $caseId");
    $events = items($d, 'caseEvent');
    check(count($events) === 2, count($events) . ' events, want 2');
    [$newer, $older] = $events;
    check(strtotime($newer->time) > strtotime($older->time),
        "events not newest first: {$newer->time}, {$older->time}");
    $actions = [];
    foreach (items($older, 'action') as $a) {
        $actions[$a->type] = $a;
    }
    ksort($actions);
    check(array_keys($actions) === ['complete', 'download', 'message'],
        'older event offers ' . implode(',', array_keys($actions)) . ', want complete,download,message');
    $atts = items($older, 'attachment');
    check(count($atts) === 1, count($atts) . ' attachments, want 1');
    check($atts[0]->fileName === 'bilaga åäö.txt', "fileName {$atts[0]->fileName}, want bilaga åäö.txt");
    check(($actions['download']->attachmentId ?? null) === $atts[0]->id, 'download action does not name the attachment');
    check(($actions['complete']->eServiceId ?? null) === 'interop-komplettering', 'complete action names another e-service');
    $newerTypes = array_map(fn($a) => $a->type, items($newer, 'action'));
    check($newerTypes === ['archive'], 'newer event offers ' . implode(',', $newerTypes) . ', want archive');
    return ['older' => $older, 'newer' => $newer, 'attachment' => $atts[0], 'actions' => $actions];
}, ['portal client' => $portal, 'case id' => $caseId]);

$older = $case['older'] ?? null;

step('MarkEventRead', function () use ($portal, $citizen, $older) {
    $r = $portal->MarkEventRead(['citizen' => $citizen, 'eventId' => $older->id]);
    check(strtotime($r->readAt) !== false, "readAt {$r->readAt} is not a time");
    return $r;
}, ['portal client' => $portal, 'event' => $older]);

step('GetAttachment', function () use ($portal, $citizen, $case, $attachment) {
    $r = $portal->GetAttachment(['citizen' => $citizen, 'attachmentId' => $case['attachment']->id]);
    check($r->content === $attachment, 'content ' . bin2hex($r->content) . ', want ' . bin2hex($attachment));
    check($r->fileName === 'bilaga åäö.txt', "fileName {$r->fileName}, want bilaga åäö.txt");
    check($r->mediaType === 'text/plain', "mediaType {$r->mediaType}, want text/plain");
    return $r;
}, ['portal client' => $portal, 'case' => $case]);

step('SendMessageToHandler', function () use ($portal, $citizen, $caseId, $older) {
    $r = $portal->SendMessageToHandler(['citizen' => $citizen, 'caseId' => $caseId, 'eventId' => $older->id,
        'text' => "Hej! Ritningen kommer i morgon.\nMvh Tolvan – åäö ÅÄÖ"]);
    check($r->messageEventId !== '' && $r->messageEventId !== $older->id,
        "messageEventId {$r->messageEventId} is not a new event");
    return $r;
}, ['portal client' => $portal, 'event' => $older]);

$profile = step('GetCitizenProfile', function () use ($portal, $citizen) {
    $p = $portal->GetCitizenProfile(['citizen' => $citizen])->profile;
    check($p->personalIdentityNumber === $citizen, "personalIdentityNumber {$p->personalIdentityNumber}, want $citizen");
    check(in_array($p->language, ['sv', 'en'], true), "language {$p->language}");
    return $p;
}, ['portal client' => $portal]);

// The profile as read, with an e-mail address; what it did not have stays absent.
step('UpdateCitizenProfile', function () use ($portal, $profile) {
    $p = clone $profile;
    $p->email = 'tolvan@example.se';
    $r = $portal->UpdateCitizenProfile(['profile' => $p]);
    $req = $portal->__getLastRequest();
    foreach (['address', 'mobile', 'givenName', 'surname'] as $opt) {
        if (!isset($profile->$opt)) {
            check(!preg_match("/<(\\w+:)?{$opt}[\\s>\\/]/", $req), "request has <$opt> though the profile had none");
        }
    }
    $s = $r->storedProfile;
    check(($s->email ?? null) === 'tolvan@example.se', 'storedProfile email ' . ($s->email ?? '(absent)'));
    check($s->personalIdentityNumber === $profile->personalIdentityNumber, 'storedProfile is another citizen\'s');
    check(($s->givenName ?? null) === ($profile->givenName ?? null), 'givenName changed');
    check(!isset($s->mobile) || isset($profile->mobile), 'storedProfile has a mobile that was not sent');
    return $s;
}, ['portal client' => $portal, 'profile' => $profile]);

$completionTicket = step('CreateCompletionTicket', function () use ($portal, $citizen, $older, $case) {
    $t = $portal->CreateCompletionTicket(['citizen' => $citizen, 'eventId' => $older->id,
        'actionId' => $case['actions']['complete']->id])->ticket;
    check(strlen($t->ticket) >= 22, "ticket {$t->ticket} is too short");
    check(str_contains($t->url, 'ticket=' . $t->ticket), "url {$t->url} does not carry the ticket");
    return $t->ticket;
}, ['portal client' => $portal, 'event' => $older]);

// E-service: the completion, its data through xs:any, and the report.
$completion = step('RedeemTicket', function () use ($etjanst, $completionTicket, $caseId, $older, $completionText) {
    $r = $etjanst->RedeemTicket(['ticket' => $completionTicket]);
    check($r->purpose === 'completion', "purpose {$r->purpose}, want completion");
    check($r->eServiceId === 'interop-komplettering', "eServiceId {$r->eServiceId}, want interop-komplettering");
    $c = $r->completion;
    check($c->caseId === $caseId, "completion caseId {$c->caseId}, want $caseId");
    check($c->eventId === $older->id, "completion eventId {$c->eventId}, want {$older->id}");
    // SoapClient gives the xs:any content as the XML text it received.
    $any = $c->data->any ?? null;
    check(is_string($any), 'completion data has no xs:any content: ' . var_export($c->data ?? null, true));
    check(str_contains($any, $completionText), "completion data $any does not contain $completionText");
    check(str_contains($any, 'urn:example:interop'), "completion data $any lost its namespace");
    return $c;
}, ['etjanst client' => $etjanst, 'completion ticket' => $completionTicket]);

step('ReportCompletion', function () use ($etjanst, $completion, $citizen) {
    $r = $etjanst->ReportCompletion(['caseId' => $completion->caseId, 'actionId' => $completion->actionId,
        'citizen' => $citizen]);
    check($r->eventId !== '' && $r->eventId !== $completion->eventId, "eventId {$r->eventId} is not a new event");
    return $r;
}, ['etjanst client' => $etjanst, 'completion' => $completion]);

// Portal: archive the closed case last; it leaves the default listing.
step('ArchiveCase', function () use ($portal, $citizen, $caseId) {
    $r = $portal->ArchiveCase(['citizen' => $citizen, 'caseId' => $caseId]);
    check(strtotime($r->archivedAt) !== false, "archivedAt {$r->archivedAt} is not a time");
    foreach (items($portal->ListCases(['citizen' => $citizen]), 'caseSummary') as $c) {
        check($c->id !== $caseId, 'the archived case is still in the default ListCases');
    }
    return $r;
}, ['portal client' => $portal, 'case id' => $caseId]);

// Catalog: withdraw the e-service once the portal has seen it.
step('WithdrawEService', function () use ($catalog, $ownId) {
    $e = $catalog->WithdrawEService(['eServiceId' => $ownId])->eService;
    check($e->id === $ownId, "id {$e->id}, want $ownId");
    check(isset($e->withdrawn), 'withdrawn e-service has no withdrawn time');
    return $e;
}, ['catalog client' => $catalog]);

// A typed fault from each service.
foreach (['portal' => $portal, 'catalog' => $catalog, 'etjanst' => $etjanst] as $service => $c) {
    if ($c === null) {
        report("fault:$service", "skipped: no $service client ({$missing["$service client"]})");
    }
}
if ($portal !== null) {
    fault('portal', fn() => $portal->GetCase(['citizen' => $citizen, 'caseId' => 'finns-inte-' . getmypid()]), ['NotFound']);
}
if ($catalog !== null) {
    fault('catalog', fn() => $catalog->WithdrawEService(['eServiceId' => 'finns-inte-' . getmypid()]), ['NotFound']);
}
if ($etjanst !== null) {
    // The start ticket was redeemed above; a made-up one when that failed.
    $used = $startTicket ?? str_repeat('A', 43);
    fault('etjanst', fn() => $etjanst->RedeemTicket(['ticket' => $used]), ['TicketUsed', 'InvalidTicket']);
}

foreach (WANTED as $op) {
    if (!isset($reported[$op])) {
        report($op, 'never reached');
    }
}
exit(in_array(false, array_map(fn($o) => $o === 'ok', $reported), true) ? 1 : 0);
