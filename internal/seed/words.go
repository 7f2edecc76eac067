package seed

// The vocabularies the generated rows draw from. Hosts and domains use the
// reserved .example top-level domain (RFC 2606), gateways the TEST-NET-1
// addresses (RFC 5737): nothing seeded names a real host.

var userNames = []string{"anna", "bjorn", "chen", "dara", "emre", "fatima", "goran", "hana", "ivan", "julia", "kofi", "lena"}

// userRoles gives the i-th seeded user its role: two admins, two
// auditors, operators otherwise.
func userRole(i int) string {
	switch {
	case i < 2:
		return "admin"
	case i >= len(userNames)-2:
		return "auditor"
	}
	return "operator"
}

var hostPrefixes = []string{"crm", "ivr", "asr", "qa", "bot", "analytics", "wfm", "speech", "kb", "notes",
	"compliance", "coach", "survey", "routing", "insight", "transcribe"}

var hostDomains = []string{"contoso-bank.example", "fabrikam-insurance.example", "northwind-telecom.example",
	"tailspin-air.example", "wingtip-energy.example", "adventure-works.example", "litware-health.example",
	"proseware.example", "fourthcoffee.example", "woodgrove.example", "alpine-ski.example", "blue-yonder.example"}

var callbackPaths = []string{"/cc/asr", "/callbacks/asr", "/api/v1/asr-events", "/events/recognition", "/hooks/cc-gateway"}

var callbackPorts = []string{"", "", ":8443", ":9443"}

var phrases = []string{
	"good morning, thank you for calling, how can I help you today",
	"I would like to check the status of my order",
	"could you please confirm your customer number",
	"one moment please, I am looking that up for you",
	"the payment was debited twice from my account",
	"I have been waiting for the technician since Monday",
	"can I change the delivery address",
	"your contract runs until the end of next year",
	"I want to cancel my subscription",
	"is there a cheaper tariff for me",
	"the invoice shows a roaming charge I do not understand",
	"I will transfer you to the billing department",
	"thank you for your patience",
	"my card was blocked after the last purchase",
	"the app keeps logging me out",
	"we can offer you a refund of the difference",
	"please hold the line",
	"I did not receive the confirmation email",
	"the flight was rebooked without asking me",
	"can you send me the documents by post",
	"your claim has been registered under this number",
	"the meter reading was estimated",
	"I am calling about the outage in my street",
	"the new router does not connect",
	"is there anything else I can do for you",
	"have a nice day, goodbye",
	"ich möchte meine Adresse ändern",
	"die Rechnung ist leider zu hoch",
	"je voudrais parler à un conseiller",
	"necesito ayuda con mi factura",
}

var intents = []string{"billing_question", "address_change", "cancel_contract", "technical_issue", "order_status",
	"complaint", "refund_request", "tariff_change", "small_talk"}

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
}

// loginRefusals are the reasons access.signInRefused records, the usual one
// weighted by repetition.
var loginRefusals = []string{"wrong user name or password, or disabled account", "wrong user name or password, or disabled account",
	"wrong user name or password, or disabled account", "throttled"}
