package shs

import (
	"bytes"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestBuildRoundTrip(t *testing.T) {
	schema := labelSchema(t)
	binary := bytes.Repeat([]byte{0}, 0)
	for i := range 3 * 256 {
		binary = append(binary, byte(i))
	}
	parts := []Part{
		{Info: DataInfo{DatapartType: "bin"}, FileName: "filnamn-med-åäö.bin", Data: binary},
		{Info: DataInfo{DatapartType: "xml", NoOfRecords: "1"}, ContentType: "text/xml; charset=UTF-8", FileName: "signal.xml",
			Data: []byte("<?xml version=\"1.0\"?>\r\n<signal>Åsa</signal>\n")},
		{Info: DataInfo{DatapartType: "txt"}, ContentType: "text/plain", Data: []byte{}},
	}
	l := fullLabel()
	l.Content.Data = nil
	body, contentType, err := Build(l, parts)
	if err != nil {
		t.Fatal(err)
	}

	if !regexp.MustCompile(`^multipart/mixed; boundary=[0-9a-f]+$`).MatchString(contentType) {
		t.Errorf("content type %q", contentType)
	}
	if head := "MIME-Version: 1.0\r\nContent-Type: " + contentType + "\r\n\r\n"; !bytes.HasPrefix(body, []byte(head)) {
		t.Errorf("the message does not start with its headers:\n%.200s", body)
	}
	for _, want := range []string{
		"Content-Type: text/xml; charset=UTF-8\r\n",
		"Content-Disposition: attachment; filename*=utf-8''filnamn-med-%C3%A5%C3%A4%C3%B6.bin\r\n",
		"Content-Type: application/octet-stream; name*=utf-8''filnamn-med-%C3%A5%C3%A4%C3%B6.bin\r\n",
		"Content-Disposition: attachment; filename=signal.xml\r\n",
		"Content-Type: text/xml; charset=UTF-8; name=signal.xml\r\n",
		"Content-Transfer-Encoding: base64\r\n",
		`filename="filnamn-med-åäö.bin"`, // in the label
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("the message lacks %q", want)
		}
	}
	if bytes.Contains(body, []byte("DOCTYPE")) {
		t.Error("the label has a DOCTYPE")
	}
	for _, line := range strings.Split(string(body), "\n") {
		if len(line) > 998 {
			t.Errorf("a line of %d bytes", len(line))
		}
	}

	_, bare, _ := bytes.Cut(body, []byte("\r\n\r\n"))
	for name, in := range map[string][]byte{"whole message": body, "body only": bare} {
		t.Run(name, func(t *testing.T) {
			m, err := Parse(in, contentType, schema, Limits{MaxParts: 3, MaxPartBytes: 4096})
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Parts) != len(parts) {
				t.Fatalf("%d parts, want %d", len(m.Parts), len(parts))
			}
			for i, p := range m.Parts {
				if !bytes.Equal(p.Data, parts[i].Data) || p.FileName != parts[i].FileName {
					t.Errorf("part %d: %q %q, want %q %q", i+1, p.FileName, p.Data, parts[i].FileName, parts[i].Data)
				}
				want := parts[i].Info
				want.Filename = parts[i].FileName
				if p.Info != want {
					t.Errorf("part %d info %+v, want %+v", i+1, p.Info, want)
				}
			}
			if m.Label.TxID != l.TxID || m.Label.From.OrgNumber() != "2021005489" || m.Label.To.CommonName != "Malmö <stad> & \"co\" rad två" {
				t.Errorf("label %+v", m.Label)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	part := Part{Info: DataInfo{DatapartType: "xml"}, Data: []byte("x")}
	for _, c := range []struct {
		name   string
		change func(*Label, *[]Part)
		want   string
	}{
		{"label lists other parts", func(l *Label, p *[]Part) { *p = append(*p, part) }, "2 data elements for 3 parts"},
		{"compound does not match", func(l *Label, p *[]Part) {
			l.Content.Data, l.Content.Compound = nil, &Compound{NoOfParts: "5"}
		}, "compound"},
		{"part without type", func(l *Label, p *[]Part) {
			l.Content.Data = nil
			(*p)[0].Info.DatapartType = ""
		}, "DatapartType"},
		{"bad content type", func(l *Label, p *[]Part) { (*p)[1].ContentType = "not a type" }, "content type"},
		{"invalid label", func(l *Label, p *[]Part) { l.TxID = "" }, "TxID"},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, parts := fullLabel(), []Part{part, part}
			c.change(&l, &parts)
			_, _, err := Build(l, parts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one about %q", err, c.want)
			}
		})
	}
}

// ME sends adm messages too: an error or a confirmation about a message it
// received.
func TestBuildManagement(t *testing.T) {
	for name, mg := range map[string]Management{
		"error": {CorrID: NewID(), ContentID: NewID(), Datetime: "2026-03-12",
			Error: &ManagementError{Code: UnknownProductType, Info: "ME knows no product type x; use the signal product", AppInfo: []AppInfo{{Name: "hint", Value: "åäö"}}}},
		"confirm": {CorrID: NewID(), ContentID: NewID(), Datetime: "2026-03-12", Confirmation: &Confirmation{}},
	} {
		t.Run(name, func(t *testing.T) {
			doc, err := MarshalManagement(mg)
			if err != nil {
				t.Fatal(err)
			}
			l := Label{TxID: NewID(), CorrID: mg.CorrID, SequenceType: "adm",
				From: &Party{Value: "urn:X-shs:2021005489", CommonName: "Mina Engagemang"}, To: &Party{Value: "urn:X-shs:2120000829"},
				Product: Product{Value: "urn:X-shs:" + name}, Datetime: FormatTime(time.Date(2026, 3, 12, 14, 5, 0, 0, time.UTC)),
				Content: Content{ID: NewID()}}
			body, ct, err := Build(l, []Part{{Info: DataInfo{DatapartType: name}, ContentType: "text/xml; charset=UTF-8", FileName: name + ".xml", Data: doc}})
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(body, ct, labelSchema(t), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if m.Label.Datetime != "2026-03-12T14:05:00" {
				t.Errorf("datetime %q", m.Label.Datetime)
			}
			if !reflect.DeepEqual(*m.Management, mg) {
				t.Errorf("management %+v, want %+v", m.Management, mg)
			}
		})
	}
	for _, bad := range []Management{
		{CorrID: "a", ContentID: "b"},
		{CorrID: "a", ContentID: "b", Confirmation: &Confirmation{}, Error: &ManagementError{Code: OtherError}},
		{CorrID: "a b", ContentID: "b", Confirmation: &Confirmation{}},
		{CorrID: "a", ContentID: "b", Error: &ManagementError{}},
		{CorrID: "a", ContentID: "b", Confirmation: &Confirmation{AppInfo: []AppInfo{{Name: "no spaces"}}}},
	} {
		if _, err := MarshalManagement(bad); err == nil {
			t.Errorf("%+v is accepted", bad)
		}
	}
}

func TestNewID(t *testing.T) {
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		if !v4.MatchString(id) || seen[id] {
			t.Fatalf("%q is not a new UUID v4", id)
		}
		seen[id] = true
	}
}

func TestErrorText(t *testing.T) {
	err := Errorf(IllegalMessageStructure, "part %d is bad", 2)
	if err.Error() != "shs: IllegalMessageStructure: part 2 is bad" || err.Text != "part 2 is bad" {
		t.Errorf("%q", err.Error())
	}
}
