package signal

// The signal as encoding/xml reads it. It has already been validated
// against xsd/signal.xsd, so element names are matched by local name and
// the schema's rules (required elements, keys, choices) hold.
type signalDoc struct {
	Organisation struct {
		Number string `xml:"organisationNumber"`
	} `xml:"organisation"`
	Case struct {
		ExternalID string       `xml:"externalId"`
		CaseNumber string       `xml:"caseNumber"`
		Title      textDoc      `xml:"title"`
		Citizens   []citizenDoc `xml:"citizen"`
		Status     string       `xml:"status"`
		Handler    *handlerDoc  `xml:"handler"`
	} `xml:"case"`
	Event struct {
		ExternalID  string          `xml:"externalId"`
		Time        string          `xml:"time"`
		Title       textDoc         `xml:"title"`
		Text        textDoc         `xml:"text"`
		Notify      *bool           `xml:"notify"`
		Attachments []attachmentDoc `xml:"attachment"`
		Actions     []actionDoc     `xml:"action"`
	} `xml:"event"`
}

type textDoc struct {
	SV string `xml:"sv"`
	EN string `xml:"en"`
}

type citizenDoc struct {
	PNR       string `xml:"personalIdentityNumber"`
	GivenName string `xml:"givenName"`
	Surname   string `xml:"surname"`
	Address   *struct {
		CareOf     string `xml:"careOf"`
		Street     string `xml:"street"`
		PostalCode string `xml:"postalCode"`
		City       string `xml:"city"`
		Country    string `xml:"country"`
	} `xml:"address"`
}

type handlerDoc struct {
	Name  string `xml:"name"`
	Email string `xml:"email"`
}

type attachmentDoc struct {
	ID        string `xml:"id"`
	FileName  string `xml:"fileName"`
	MediaType string `xml:"mediaType"`
	Content   string `xml:"content"`
}

type actionDoc struct {
	ID       string  `xml:"id"`
	Label    textDoc `xml:"label"`
	Download *struct {
		AttachmentID string `xml:"attachmentId"`
	} `xml:"download"`
	Message  *struct{} `xml:"message"`
	Complete *struct {
		EServiceID         string `xml:"eServiceId"`
		OrganisationNumber string `xml:"organisationNumber"`
		DueDate            string `xml:"dueDate"`
	} `xml:"complete"`
	Archive *struct{} `xml:"archive"`
}
