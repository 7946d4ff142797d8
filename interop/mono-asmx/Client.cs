// The mono-asmx stack's client: the proxies Mono's `wsdl` tool generated
// (ASMX-style SoapHttpClientProtocol, one namespace per service) drive the
// seed's three flows through all seventeen operations and read a typed
// MEFault from each service. It prints one "RESULT <op> ok|FAIL <why>" line
// per check, as interop/interop_test.go expects.
using System;
using System.Linq;
using System.Net;
using System.Text;
using System.Xml;
using System.Web.Services.Protocols;
using P = Me.Portal;
using C = Me.Catalog;
using E = Me.Etjanst;

static class Client
{
	const string FaultNS = "http://minaengagemang.se/schema/fault/v1";

	static string Env(string name)
	{
		var v = Environment.GetEnvironmentVariable(name);
		if (string.IsNullOrEmpty(v))
			throw new Exception("environment variable " + name + " is not set");
		return v;
	}

	// Run reports one check: ok, or FAIL with the exception's message.
	static void Run(string op, System.Action body)
	{
		try {
			body();
			Console.WriteLine("RESULT " + op + " ok");
		} catch (Exception e) {
			Console.WriteLine("RESULT " + op + " FAIL " + OneLine(e));
		}
	}

	static string OneLine(Exception e)
	{
		var se = e as SoapException;
		var msg = e.GetType().Name + ": " + e.Message;
		if (se != null)
			msg += " (MEFault code " + (FaultCode(se) ?? "none") + ")";
		if (e.InnerException != null)
			msg += " <- " + e.InnerException.GetType().Name + ": " + e.InnerException.Message;
		return msg.Replace('\n', ' ').Replace('\r', ' ');
	}

	static void Check(bool ok, string what)
	{
		if (!ok)
			throw new Exception(what);
	}

	static T Need<T>(T v, string what) where T : class
	{
		if (v == null)
			throw new Exception("skipped: " + what + " is missing (an earlier step failed)");
		return v;
	}

	// FaultCode reads the code of the MEFault in a SOAP fault's detail.
	static string FaultCode(SoapException e)
	{
		if (e.Detail == null)
			return null;
		var ns = new XmlNamespaceManager(e.Detail.OwnerDocument != null ? e.Detail.OwnerDocument.NameTable : new NameTable());
		ns.AddNamespace("f", FaultNS);
		var code = e.Detail.SelectSingleNode("f:MEFault/f:code", ns);
		return code == null ? null : code.InnerText.Trim();
	}

	// Fault calls an operation that must fail and reports fault:<service>
	// ok when the MEFault code is one of those expected.
	static void Fault(string service, System.Action call, params string[] codes)
	{
		Run("fault:" + service, () => {
			try {
				call();
			} catch (SoapException e) {
				var code = FaultCode(e);
				Check(codes.Contains(code), "MEFault code " + (code ?? "absent") + ", want " + string.Join(" or ", codes) + ": " + e.Message);
				return;
			}
			throw new Exception("the call succeeded; want a fault with code " + string.Join(" or ", codes));
		});
	}

	static T Proxy<T>(T p, string url, string user) where T : SoapHttpClientProtocol
	{
		p.Url = url;
		p.Credentials = new NetworkCredential(user, Env("INTEROP_PASSWORD"));
		p.PreAuthenticate = true;
		p.Timeout = 30000;
		return p;
	}

	static int Main()
	{
		var url = Env("INTEROP_URL");
		var citizen = Env("INTEROP_CITIZEN");
		var myService = Env("INTEROP_ESERVICE_ID");
		var startService = Env("INTEROP_START_ESERVICE");
		var caseNumber = Env("INTEROP_CASE_NUMBER");
		var attachment = Convert.FromBase64String(Env("INTEROP_ATTACHMENT_B64"));
		var completionText = Env("INTEROP_COMPLETION_TEXT");
		var stack = Env("INTEROP_STACK");

		var catalog = Proxy(new C.CatalogService(), url + "/soap/catalog", Env("INTEROP_CATALOG_CLIENT"));
		var portal = Proxy(new P.PortalService(), url + "/soap/portal", Env("INTEROP_PORTAL_CLIENT"));
		var etjanst = Proxy(new E.EServiceService(), url + "/soap/etjanst", Env("INTEROP_ETJANST_CLIENT"));

		var name = "Bygglov för altan (" + stack + "): åäö ÅÄÖ";

		// Catalog: publish an e-service with its optional elements absent
		// (area, ticketParameter, contact, the English texts) and find it.
		Run("PublishEService", () => {
			var got = catalog.PublishEService(new C.EServiceDescription {
				id = myService,
				name = new C.LocalizedText { sv = name },
				description = new C.LocalizedText { sv = "Ansök om bygglov för en altan – smörgåsbord." },
				startUrl = "https://etjanst.example/" + myService,
				authenticationLevel = 3,
			});
			Check(got.id == myService, "published id " + got.id);
			Check(got.name.sv == name, "published name " + got.name.sv);
			Check(got.name.en == null && got.contact == null, "optional elements came back present");
			Check(got.ticketParameter == "ticket", "ticketParameter " + got.ticketParameter + ", want the default ticket");
		});
		Run("ListOwnEServices", () => {
			var all = catalog.ListOwnEServices(false, false) ?? new C.EService[0];
			var mine = all.FirstOrDefault(s => s.id == myService);
			Check(mine != null, myService + " not among " + all.Length + " own e-services");
			Check(mine.name.sv == name, "listed name " + mine.name.sv);
		});
		Fault("catalog", () => catalog.WithdrawEService("no-such-eservice-" + stack), "NotFound");

		// Portal: the citizen's view.
		Run("ListEServices", () => {
			var all = portal.ListEServices(null, null, null) ?? new P.EService[0];
			Check(all.Any(s => s.id == startService), startService + " not among " + all.Length + " e-services");
		});
		Run("GetEService", () => {
			var s = portal.GetEService(myService, null);
			Check(s.id == myService, "id " + s.id);
			Check(s.name.sv == name, "name " + s.name.sv + ", want " + name);
		});
		P.IssuedTicket startTicket = null;
		Run("CreateStartTicket", () => {
			startTicket = portal.CreateStartTicket(citizen, startService, null);
			Check(!string.IsNullOrEmpty(startTicket.ticket), "no ticket");
			Check(startTicket.url.Contains(startTicket.ticket), "url " + startTicket.url + " lacks the ticket");
		});
		string caseId = null;
		Run("ListCases", () => {
			string next;
			var cases = portal.ListCases(citizen, P.CaseStatus.received, false, false, false, false, false,
				DateTime.MinValue, false, 0, false, null, out next) ?? new P.CaseSummary[0];
			var c = cases.FirstOrDefault(x => x.caseNumber == caseNumber);
			Check(c != null, caseNumber + " not among the caseNumbers of " + cases.Length + " cases: "
				+ string.Join(", ", cases.Select(x => x.caseNumber ?? "(absent)")));
			Check(c.status == P.CaseStatus.closed, "status " + c.status);
			caseId = c.id;
		});
		P.Event older = null;
		P.Action messageAction = null, completeAction = null;
		P.AttachmentInfo att = null;
		Run("GetCase", () => {
			var d = portal.GetCase(citizen, Need(caseId, "the case"));
			Check(d.summary.id == caseId, "case id " + d.summary.id);
			var events = d.caseEvent ?? new P.Event[0];
			Check(events.Length == 2, events.Length + " events, want 2");
			var newer = events[0];
			older = events[1];
			Check(newer.time > older.time, "events not newest first");
			Check((newer.action ?? new P.Action[0]).Any(a => a.type == P.ActionType.archive), "the newer event offers no archive");
			var types = (older.action ?? new P.Action[0]).Select(a => a.type).ToArray();
			Check(types.Contains(P.ActionType.download) && types.Contains(P.ActionType.message) && types.Contains(P.ActionType.complete),
				"the older event's actions are " + string.Join(",", types));
			messageAction = older.action.First(a => a.type == P.ActionType.message);
			completeAction = older.action.First(a => a.type == P.ActionType.complete);
			Check(older.attachment != null && older.attachment.Length == 1, "the older event has no attachment");
			att = older.attachment[0];
			Check(att.size == attachment.Length, "attachment size " + att.size);
		});
		Run("MarkEventRead", () => {
			var at = portal.MarkEventRead(citizen, Need(older, "the event").id);
			Check(at.Year >= 2000, "readAt " + at.ToString("o"));
		});
		Run("GetAttachment", () => {
			string mediaType;
			byte[] content;
			var fileName = portal.GetAttachment(citizen, Need(att, "the attachment").id, out mediaType, out content);
			Check(content != null && content.SequenceEqual(attachment), "bytes differ: " + (content == null ? "none" : Convert.ToBase64String(content)));
			Check(fileName == "bilaga åäö.txt", "fileName " + fileName);
			Check(mediaType == "text/plain", "mediaType " + mediaType);
		});
		Run("SendMessageToHandler", () => {
			Need(messageAction, "the message action");
			var id = portal.SendMessageToHandler(citizen, caseId, older.id, "Hej! Här är svaret från " + stack + ": åäö ÅÄÖ");
			Check(!string.IsNullOrEmpty(id) && id != older.id, "messageEventId " + id);
		});
		const string email = "tolvan@example.se";
		Run("GetCitizenProfile", () => {
			var p = portal.GetCitizenProfile(citizen);
			Check(p.personalIdentityNumber == citizen, "personalIdentityNumber " + p.personalIdentityNumber);
		});
		Run("UpdateCitizenProfile", () => {
			var p = portal.GetCitizenProfile(citizen);
			p.email = email;
			p.mobile = null;   // optional: sent absent
			p.address = null;  // optional: sent absent
			var stored = portal.UpdateCitizenProfile(p);
			Check(stored.email == email, "stored email " + stored.email);
			Check(stored.mobile == null && stored.address == null, "absent optional elements came back present");
			Check(portal.GetCitizenProfile(citizen).email == email, "GetCitizenProfile does not show the new email");
		});
		P.IssuedTicket completionTicket = null;
		Run("CreateCompletionTicket", () => {
			completionTicket = portal.CreateCompletionTicket(citizen, Need(older, "the event").id, Need(completeAction, "the complete action").id);
			Check(!string.IsNullOrEmpty(completionTicket.ticket), "no ticket");
		});
		Fault("portal", () => portal.GetCase(citizen, "no-such-case-" + stack), "NotFound");

		// E-service: redeem both tickets and report the completion.
		E.Completion completion = null;
		Run("RedeemTicket", () => {
			string eServiceId;
			E.CitizenProfile who;
			E.Completion none;
			var purpose = etjanst.RedeemTicket(Need(startTicket, "the start ticket").ticket, out eServiceId, out who, out none);
			Check(purpose == E.TicketPurpose.start, "purpose " + purpose);
			Check(eServiceId == startService, "eServiceId " + eServiceId);
			Check(who.personalIdentityNumber == citizen, "citizen " + who.personalIdentityNumber);
			Check(none == null, "a start ticket came with a completion");
		});
		Run("RedeemTicket", () => {
			string eServiceId;
			E.CitizenProfile who;
			var purpose = etjanst.RedeemTicket(Need(completionTicket, "the completion ticket").ticket, out eServiceId, out who, out completion);
			Check(purpose == E.TicketPurpose.completion, "purpose " + purpose);
			Check(who.personalIdentityNumber == citizen, "citizen " + who.personalIdentityNumber);
			Check(completion != null && completion.caseId == caseId, "completion for case " + (completion == null ? "none" : completion.caseId));
			Check(completion.actionId == completeAction.id, "actionId " + completion.actionId);
			var any = completion.data == null || completion.data.Any == null ? new XmlElement[0] : completion.data.Any;
			var text = string.Concat(any.Select(x => x.InnerText));
			Check(text.Contains(completionText), "completion data lacks the text: " + string.Concat(any.Select(x => x.OuterXml)));
		});
		Run("ReportCompletion", () => {
			Need(completion, "the completion");
			var id = etjanst.ReportCompletion(completion.caseId, completion.actionId, "REF-" + stack, citizen);
			Check(!string.IsNullOrEmpty(id), "no eventId");
		});
		Fault("etjanst", () => {
			string s; E.CitizenProfile p; E.Completion c;
			etjanst.RedeemTicket(Need(startTicket, "the start ticket").ticket, out s, out p, out c);
		}, "TicketUsed", "InvalidTicket", "TicketExpired");

		// Last: archive the case and withdraw the e-service the portal saw.
		Run("ArchiveCase", () => {
			var at = portal.ArchiveCase(citizen, Need(caseId, "the case"));
			Check(at.Year >= 2000, "archivedAt " + at.ToString("o"));
		});
		Run("WithdrawEService", () => {
			var s = catalog.WithdrawEService(myService);
			Check(s.id == myService && s.withdrawnSpecified, "not withdrawn: " + s.id);
		});
		return 0;
	}
}
