package signal

import (
	"encoding/xml"
	"time"

	"github.com/minaengagemang/me"
)

// receipt is signal.xsd's receipt element: what a synchronous SHS reply
// tells the case system about the signal it sent.
type receipt struct {
	XMLName        xml.Name `xml:"http://minaengagemang.se/signal/v1 receipt"`
	TxID           string   `xml:"txId"`
	CaseID         string   `xml:"caseId"`
	EventID        string   `xml:"eventId"`
	Duplicate      bool     `xml:"duplicate"`
	DuplicateEvent bool     `xml:"duplicateEvent"`
	Arrival        string   `xml:"arrival"`
}

// Receipt returns the receipt document for what storing a signal did.
func Receipt(rc me.SignalReceipt) ([]byte, error) {
	doc, err := xml.MarshalIndent(receipt{TxID: rc.TxID, CaseID: rc.CaseID, EventID: rc.EventID, Duplicate: rc.Duplicate,
		DuplicateEvent: rc.DuplicateEvent, Arrival: rc.Arrival.UTC().Format(time.RFC3339)}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), doc...), nil
}
