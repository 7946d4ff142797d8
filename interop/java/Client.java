// The interop suite's Java JAX-WS client (interop/java/run.sh): it drives the
// seed's three flows through all seventeen operations with the classes
// `wsimport` generated from the running ME's WSDLs, one package per service,
// and prints one "RESULT <Operation> ok|FAIL <why>" line per operation.
//
// Each service's package holds its own copy of the shared types (EService,
// CitizenProfile, ...), so the catalog's and the e-service's are named with
// their package; the portal's are imported.

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import javax.xml.ws.BindingProvider;
import javax.xml.ws.Holder;

import org.w3c.dom.Element;

import se.kommun.minaengagemang.catalog.CatalogPortType;
import se.kommun.minaengagemang.catalog.CatalogService;
import se.kommun.minaengagemang.etjanst.Completion;
import se.kommun.minaengagemang.etjanst.EServicePortType;
import se.kommun.minaengagemang.etjanst.EServiceService;
import se.kommun.minaengagemang.etjanst.TicketPurpose;
import se.kommun.minaengagemang.portal.Action;
import se.kommun.minaengagemang.portal.ActionType;
import se.kommun.minaengagemang.portal.AttachmentInfo;
import se.kommun.minaengagemang.portal.CaseDetail;
import se.kommun.minaengagemang.portal.CaseSummary;
import se.kommun.minaengagemang.portal.CitizenProfile;
import se.kommun.minaengagemang.portal.EService;
import se.kommun.minaengagemang.portal.Event;
import se.kommun.minaengagemang.portal.FaultCode;
import se.kommun.minaengagemang.portal.IssuedTicket;
import se.kommun.minaengagemang.portal.MEFault_Exception;
import se.kommun.minaengagemang.portal.PortalPortType;
import se.kommun.minaengagemang.portal.PortalService;

public final class Client {
    private static final int TIMEOUT_MS = 20_000;

    // The published e-service's Swedish name: read back through GetEService.
    private static final String PUBLISHED_NAME = "Bygglov för altan – åäö ÅÄÖ (Java)";
    private static final String MESSAGE_TEXT = "Hej! Ritningen kommer i morgon – åäö ÅÄÖ";

    private final String base = env("INTEROP_URL");
    private final String password = env("INTEROP_PASSWORD");
    private final String org = env("INTEROP_ORG");
    private final String citizen = env("INTEROP_CITIZEN");
    private final String caseNumber = env("INTEROP_CASE_NUMBER");
    private final String eServiceId = env("INTEROP_ESERVICE_ID");
    private final String startEService = env("INTEROP_START_ESERVICE");
    private final byte[] attachment = Base64.getDecoder().decode(env("INTEROP_ATTACHMENT_B64"));
    private final String completionText = env("INTEROP_COMPLETION_TEXT");

    private PortalPortType portal;
    private CatalogPortType catalog;
    private EServicePortType etjanst;

    // What one step hands to the next.
    private boolean published;
    private String startTicket, completionTicket;
    private String caseId, olderEventId, attachmentId, messageActionId, completeActionId;
    private String redeemedCaseId, redeemedActionId;
    private String redeemFailure;

    private static final List<String> OPERATIONS = List.of(
            "PublishEService", "ListOwnEServices", "WithdrawEService",
            "ListEServices", "GetEService", "CreateStartTicket",
            "ListCases", "GetCase", "MarkEventRead", "GetAttachment", "SendMessageToHandler",
            "GetCitizenProfile", "UpdateCitizenProfile", "CreateCompletionTicket", "ArchiveCase",
            "RedeemTicket", "ReportCompletion",
            "fault:portal", "fault:catalog", "fault:etjanst");

    public static void main(String[] args) {
        Client c;
        try {
            c = new Client();
            c.connect();
        } catch (Throwable e) {
            // Without the clients no operation can run: each fails with why.
            for (String op : OPERATIONS) {
                System.out.println("RESULT " + op + " FAIL setup: " + why(e));
            }
            System.exit(1);
            return;
        }
        c.run();
    }

    private void connect() throws Exception {
        portal = port(new PortalService(new URL(base + "/soap/portal?wsdl")).getPortalPort(),
                "/soap/portal", env("INTEROP_PORTAL_CLIENT"));
        catalog = port(new CatalogService(new URL(base + "/soap/catalog?wsdl")).getCatalogPort(),
                "/soap/catalog", env("INTEROP_CATALOG_CLIENT"));
        etjanst = port(new EServiceService(new URL(base + "/soap/etjanst?wsdl")).getEServicePort(),
                "/soap/etjanst", env("INTEROP_ETJANST_CLIENT"));
    }

    private void run() {
        step("PublishEService", this::publishEService);
        step("ListOwnEServices", this::listOwnEServices);
        step("fault:catalog", this::catalogFault);

        step("ListEServices", this::listEServices);
        step("GetEService", this::getEService);
        step("CreateStartTicket", this::createStartTicket);
        step("ListCases", this::listCases);
        step("GetCase", this::getCase);
        step("MarkEventRead", this::markEventRead);
        step("GetAttachment", this::getAttachment);
        step("SendMessageToHandler", this::sendMessageToHandler);
        step("GetCitizenProfile", this::getCitizenProfile);
        step("UpdateCitizenProfile", this::updateCitizenProfile);
        step("CreateCompletionTicket", this::createCompletionTicket);
        step("fault:portal", this::portalFault);

        redeemStart();
        redeemCompletion();
        step("RedeemTicket", () -> check(redeemFailure == null, redeemFailure));
        step("ReportCompletion", this::reportCompletion);
        step("fault:etjanst", this::etjanstFault);

        step("ArchiveCase", this::archiveCase);
        step("WithdrawEService", this::withdrawEService);
    }

    // The catalog client's flow.

    private void publishEService() throws Exception {
        var d = new se.kommun.minaengagemang.catalog.EServiceDescription();
        d.setId(eServiceId);
        var name = new se.kommun.minaengagemang.catalog.LocalizedText();
        name.setSv(PUBLISHED_NAME); // English, area, ticketParameter and contact stay absent
        d.setName(name);
        var description = new se.kommun.minaengagemang.catalog.LocalizedText();
        description.setSv("Ansök om bygglov för en altan. Published by the Java interop client.");
        d.setDescription(description);
        d.setStartUrl("https://etjanst.example/" + eServiceId);
        d.setAuthenticationLevel(3);
        var e = catalog.publishEService(d);
        check(eServiceId.equals(e.getId()), "published id " + e.getId());
        check(PUBLISHED_NAME.equals(e.getName().getSv()), "published name " + e.getName().getSv());
        check(e.getName().getEn() == null, "English name present: " + e.getName().getEn());
        check(e.getPublished() != null, "no published time");
        check(e.getWithdrawn() == null, "withdrawn: " + e.getWithdrawn());
        published = true;
    }

    private void listOwnEServices() throws Exception {
        needs(published, "PublishEService failed");
        for (var e : catalog.listOwnEServices(null)) {
            if (eServiceId.equals(e.getId())) {
                check(PUBLISHED_NAME.equals(e.getName().getSv()), "listed name " + e.getName().getSv());
                return;
            }
        }
        throw new IllegalStateException(eServiceId + " not among the own e-services");
    }

    private void catalogFault() throws Exception {
        try {
            catalog.withdrawEService("no-such-eservice-java");
        } catch (se.kommun.minaengagemang.catalog.MEFault_Exception f) {
            var code = f.getFaultInfo().getCode();
            check(code == se.kommun.minaengagemang.catalog.FaultCode.NOT_FOUND, "fault code " + code);
            return;
        }
        throw new IllegalStateException("withdrawing a made-up e-service succeeded");
    }

    private void withdrawEService() throws Exception {
        needs(published, "PublishEService failed");
        var e = catalog.withdrawEService(eServiceId);
        check(eServiceId.equals(e.getId()), "withdrawn id " + e.getId());
        check(e.getWithdrawn() != null, "no withdrawn time");
    }

    // The portal client's flow.

    private void listEServices() throws Exception {
        var found = new ArrayList<String>();
        for (var e : portal.listEServices(org, null, null)) {
            found.add(e.getId());
            if (startEService.equals(e.getId())) {
                check(e.getName() != null && e.getName().getSv() != null, "no Swedish name");
                check(org.equals(e.getOrganisationNumber()), "organisation " + e.getOrganisationNumber());
                return;
            }
        }
        throw new IllegalStateException(startEService + " not listed among " + found);
    }

    private void getEService() throws Exception {
        needs(published, "PublishEService failed");
        EService e = portal.getEService(eServiceId, org);
        check(eServiceId.equals(e.getId()), "id " + e.getId());
        check(PUBLISHED_NAME.equals(e.getName().getSv()), "name " + e.getName().getSv());
        check(e.getArea().isEmpty(), "areas " + e.getArea());
    }

    private void createStartTicket() throws Exception {
        IssuedTicket t = portal.createStartTicket(citizen, startEService, org);
        check(t.getTicket() != null && !t.getTicket().isEmpty(), "no ticket");
        check(t.getUrl() != null && t.getUrl().contains(t.getTicket()), "url " + t.getUrl());
        check(t.getExpires() != null, "no expiry");
        startTicket = t.getTicket();
    }

    private void listCases() throws Exception {
        String pageToken = null;
        for (int page = 0; page < 50; page++) {
            var cases = new Holder<List<CaseSummary>>();
            var next = new Holder<String>();
            portal.listCases(citizen, null, null, null, null, null, pageToken, cases, next);
            if (cases.value != null) {
                for (var c : cases.value) {
                    if (caseNumber.equals(c.getCaseNumber())) {
                        check(c.getTitle().getSv().contains("åäö ÅÄÖ"), "title " + c.getTitle().getSv());
                        caseId = c.getId();
                        return;
                    }
                }
            }
            if (next.value == null || next.value.isEmpty()) {
                break;
            }
            pageToken = next.value;
        }
        // Not found: say whether the case is there without its caseNumber.
        var cases = new Holder<List<CaseSummary>>();
        portal.listCases(citizen, null, null, true, null, 200, null, cases, new Holder<>());
        var seen = new ArrayList<String>();
        for (var c : cases.value == null ? List.<CaseSummary>of() : cases.value) {
            seen.add("\"" + c.getTitle().getSv() + "\" has caseNumber " + (c.getCaseNumber() == null ? "(absent)" : c.getCaseNumber()));
        }
        throw new IllegalStateException("no case with caseNumber " + caseNumber + " among " + seen);
    }

    private void getCase() throws Exception {
        needs(caseId != null, "ListCases failed");
        CaseDetail d = portal.getCase(citizen, caseId);
        check(caseNumber.equals(d.getSummary().getCaseNumber()), "caseNumber " + d.getSummary().getCaseNumber());
        List<Event> events = d.getCaseEvent();
        check(events.size() == 2, events.size() + " events, want 2");
        // Newest first: the closing event, then the one the citizen acts on.
        Event newer = events.get(0), older = events.get(1);
        check(types(newer).equals(List.of(ActionType.ARCHIVE)), "newer event's actions " + types(newer));
        check(types(older).equals(List.of(ActionType.DOWNLOAD, ActionType.MESSAGE, ActionType.COMPLETE)),
                "older event's actions " + types(older));
        check(older.getAttachment().size() == 1, older.getAttachment().size() + " attachments");
        AttachmentInfo a = older.getAttachment().get(0);
        check("bilaga åäö.txt".equals(a.getFileName()), "file name " + a.getFileName());
        check(a.getSize() == attachment.length, "size " + a.getSize());
        for (Action act : older.getAction()) {
            switch (act.getType()) {
                case DOWNLOAD -> check(a.getId().equals(act.getAttachmentId()), "download of " + act.getAttachmentId());
                case MESSAGE -> messageActionId = act.getId();
                case COMPLETE -> completeActionId = act.getId();
                default -> { }
            }
        }
        olderEventId = older.getId();
        attachmentId = a.getId();
    }

    private void markEventRead() throws Exception {
        needs(olderEventId != null, "GetCase failed");
        check(portal.markEventRead(citizen, olderEventId) != null, "no readAt");
        var after = portal.getCase(citizen, caseId).getCaseEvent();
        var ev = after.stream().filter(e -> olderEventId.equals(e.getId())).findFirst().orElseThrow();
        check(ev.isRead(), "the event is still unread");
    }

    private void getAttachment() throws Exception {
        needs(attachmentId != null, "GetCase failed");
        var fileName = new Holder<String>();
        var mediaType = new Holder<String>();
        var content = new Holder<byte[]>();
        portal.getAttachment(citizen, attachmentId, fileName, mediaType, content);
        check(Arrays.equals(attachment, content.value),
                "content " + (content.value == null ? "absent" : new String(content.value, StandardCharsets.UTF_8)));
        check("bilaga åäö.txt".equals(fileName.value), "file name " + fileName.value);
        check(mediaType.value != null && mediaType.value.startsWith("text/plain"), "media type " + mediaType.value);
    }

    private void sendMessageToHandler() throws Exception {
        needs(messageActionId != null, "GetCase found no message action");
        String id = portal.sendMessageToHandler(citizen, caseId, olderEventId, MESSAGE_TEXT);
        check(id != null && !id.isEmpty() && !id.equals(olderEventId), "messageEventId " + id);
        var ev = portal.getCase(citizen, caseId).getCaseEvent().stream()
                .filter(e -> id.equals(e.getId())).findFirst().orElseThrow();
        check(ev.isFromCitizen(), "the message event is not the citizen's");
        check(ev.getText() != null && MESSAGE_TEXT.equals(ev.getText().getSv()),
                "message text " + (ev.getText() == null ? null : ev.getText().getSv()));
    }

    private CitizenProfile profile;

    private void getCitizenProfile() throws Exception {
        profile = portal.getCitizenProfile(citizen);
        check(citizen.equals(profile.getPersonalIdentityNumber()), "personnummer " + profile.getPersonalIdentityNumber());
    }

    private void updateCitizenProfile() throws Exception {
        needs(profile != null, "GetCitizenProfile failed");
        String email = "tolvan.java@example.se";
        profile.setEmail(email); // what the profile did not have stays absent
        CitizenProfile stored = portal.updateCitizenProfile(profile);
        check(email.equals(stored.getEmail()), "stored e-mail " + stored.getEmail());
        check(citizen.equals(stored.getPersonalIdentityNumber()), "stored personnummer " + stored.getPersonalIdentityNumber());
        check(email.equals(portal.getCitizenProfile(citizen).getEmail()), "e-mail not kept");
    }

    private void createCompletionTicket() throws Exception {
        needs(completeActionId != null, "GetCase found no complete action");
        IssuedTicket t = portal.createCompletionTicket(citizen, olderEventId, completeActionId);
        check(t.getTicket() != null && !t.getTicket().isEmpty(), "no ticket");
        check(t.getUrl() != null && t.getUrl().contains(t.getTicket()), "url " + t.getUrl());
        completionTicket = t.getTicket();
    }

    private void portalFault() throws Exception {
        try {
            portal.getCase(citizen, "no-such-case-java");
        } catch (MEFault_Exception f) {
            FaultCode code = f.getFaultInfo().getCode();
            check(code == FaultCode.NOT_FOUND, "fault code " + code);
            return;
        }
        throw new IllegalStateException("GetCase of a made-up case succeeded");
    }

    private void archiveCase() throws Exception {
        needs(caseId != null, "ListCases failed");
        check(portal.archiveCase(citizen, caseId) != null, "no archivedAt");
        var cases = new Holder<List<CaseSummary>>();
        portal.listCases(citizen, null, null, true, null, null, null, cases, new Holder<>());
        var c = cases.value.stream().filter(s -> caseId.equals(s.getId())).findFirst().orElseThrow();
        check(c.isArchived(), "the case is not archived");
    }

    // The e-service's flow.

    private void redeemStart() {
        try {
            needs(startTicket != null, "CreateStartTicket failed");
            var purpose = new Holder<TicketPurpose>();
            var eService = new Holder<String>();
            var who = new Holder<se.kommun.minaengagemang.etjanst.CitizenProfile>();
            var completion = new Holder<Completion>();
            etjanst.redeemTicket(startTicket, purpose, eService, who, completion);
            check(purpose.value == TicketPurpose.START, "purpose " + purpose.value);
            check(startEService.equals(eService.value), "e-service " + eService.value);
            check(who.value != null && citizen.equals(who.value.getPersonalIdentityNumber()), "citizen not back");
            check(completion.value == null, "a start ticket with completion");
        } catch (Throwable e) {
            redeemFailure = "start ticket: " + why(e);
        }
    }

    private void redeemCompletion() {
        try {
            needs(completionTicket != null, "CreateCompletionTicket failed");
            var purpose = new Holder<TicketPurpose>();
            var eService = new Holder<String>();
            var who = new Holder<se.kommun.minaengagemang.etjanst.CitizenProfile>();
            var completion = new Holder<Completion>();
            etjanst.redeemTicket(completionTicket, purpose, eService, who, completion);
            check(purpose.value == TicketPurpose.COMPLETION, "purpose " + purpose.value);
            check("interop-komplettering".equals(eService.value), "e-service " + eService.value);
            check(who.value != null && citizen.equals(who.value.getPersonalIdentityNumber()), "citizen not back");
            Completion c = completion.value;
            check(c != null && caseId.equals(c.getCaseId()), "completion's case " + (c == null ? null : c.getCaseId()));
            check(caseNumber.equals(c.getCaseNumber()), "completion's caseNumber " + c.getCaseNumber());
            check(completeActionId.equals(c.getActionId()), "completion's action " + c.getActionId());
            check(c.getData() != null && !c.getData().getAny().isEmpty(), "no completion data");
            StringBuilder text = new StringBuilder();
            for (Element el : c.getData().getAny()) {
                text.append(el.getTextContent());
            }
            check(text.toString().contains(completionText), "completion data " + text);
            redeemedCaseId = c.getCaseId();
            redeemedActionId = c.getActionId();
        } catch (Throwable e) {
            String why = "completion ticket: " + why(e);
            redeemFailure = redeemFailure == null ? why : redeemFailure + "; " + why;
        }
    }

    private void reportCompletion() throws Exception {
        needs(redeemedActionId != null, "RedeemTicket of the completion ticket failed");
        String id = etjanst.reportCompletion(redeemedCaseId, redeemedActionId, "JAVA-REF-åäö", citizen);
        check(id != null && !id.isEmpty(), "no eventId");
        var ev = portal.getCase(citizen, caseId).getCaseEvent().stream()
                .filter(e -> id.equals(e.getId())).findFirst().orElseThrow();
        check(ev.isFromCitizen(), "the completion event is not the citizen's");
    }

    private void etjanstFault() throws Exception {
        String ticket = startTicket != null ? startTicket : "made-up-ticket-java";
        try {
            etjanst.redeemTicket(ticket, new Holder<>(), new Holder<>(), new Holder<>(), new Holder<>());
        } catch (se.kommun.minaengagemang.etjanst.MEFault_Exception f) {
            var code = f.getFaultInfo().getCode();
            check(code == se.kommun.minaengagemang.etjanst.FaultCode.TICKET_USED
                    || code == se.kommun.minaengagemang.etjanst.FaultCode.INVALID_TICKET, "fault code " + code);
            return;
        }
        throw new IllegalStateException("redeeming " + ticket + " again succeeded");
    }

    // Plumbing.

    private <T> T port(T port, String path, String user) {
        Map<String, Object> ctx = ((BindingProvider) port).getRequestContext();
        ctx.put(BindingProvider.ENDPOINT_ADDRESS_PROPERTY, base + path);
        ctx.put(BindingProvider.USERNAME_PROPERTY, user);
        ctx.put(BindingProvider.PASSWORD_PROPERTY, password);
        ctx.put("com.sun.xml.ws.connect.timeout", TIMEOUT_MS); // JAXWSProperties.CONNECT_TIMEOUT
        ctx.put("com.sun.xml.ws.request.timeout", TIMEOUT_MS); // JAXWSProperties.REQUEST_TIMEOUT
        return port;
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void step(String operation, Step s) {
        try {
            s.run();
            System.out.println("RESULT " + operation + " ok");
        } catch (Throwable e) {
            System.out.println("RESULT " + operation + " FAIL " + why(e));
        }
        System.out.flush();
    }

    private static List<ActionType> types(Event e) {
        return e.getAction().stream().map(Action::getType).toList();
    }

    private static void check(boolean ok, String why) {
        if (!ok) {
            throw new IllegalStateException(why);
        }
    }

    private static void needs(boolean ok, String why) {
        if (!ok) {
            throw new IllegalStateException("skipped: " + why);
        }
    }

    private static String why(Throwable e) {
        String detail = e instanceof MEFault_Exception f ? " (code " + f.getFaultInfo().getCode() + ")" : "";
        String s = e.getClass().getSimpleName() + ": " + e.getMessage() + detail;
        return s.replaceAll("\\s+", " ");
    }

    private static String env(String name) {
        String v = System.getenv(name);
        if (v == null || v.isEmpty()) {
            throw new IllegalStateException(name + " is not set");
        }
        return v;
    }
}
