package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/config"
)

// defaultReplyText is what the played handler answers without --text.
const defaultReplyText = "Hej!\n\nTack för ditt meddelande. Jag har tittat på det och återkommer i ärendet.\n\nMed vänliga hälsningar\nHandläggaren"

// mailReply plays the case handler for the demo and for trying a
// configuration: it answers a mail ME sent to a handler as the handler's
// mail client would, from the handler's address to the mail's own reply
// address, quoting it, over SMTP (or LMTP) to inbound_mail.addr. The mail
// is the newest handler mail with a reply address (pending or sent: the
// demo has no smtp.host, so its handler mails are never sent), or the one
// whose reply address --to names. ME then takes it like any reply: the
// token, the sender, the trimming and the limits all apply.
func mailReply(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("me mail reply", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := configFlag(fs)
	to := fs.String("to", "", "answer the handler mail with this reply `address` (svar+TOKEN@domain); default the newest")
	text := fs.String("text", defaultReplyText, "the handler's reply `text`")
	attach := fs.String("attach", "", "attach this `file` (its media type from the file name)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("me mail reply takes no arguments, got %q", fs.Args())
	}
	cfg, st, err := openConfigured(ctx, *path)
	if err != nil {
		return err
	}
	defer st.Close()
	in := cfg.InboundMail
	if in.Addr == "" || in.Domain == "" {
		return errors.New("inbound_mail.addr and inbound_mail.domain are not both set: ME takes no replies to answer (the demo's are 127.0.0.1:2525 and svar.demo.example)")
	}
	n, err := st.HandlerMail(ctx, *to)
	switch {
	case errors.Is(err, me.ErrNotFound) && *to != "":
		return fmt.Errorf("no handler mail has the reply address %s; `me mail reply` without --to answers the newest", *to)
	case errors.Is(err, me.ErrNotFound):
		return errors.New("no mail to a case handler has a reply address yet: first write to the handler from a case (in the demo: \"Meddelande till handläggaren\")")
	case err != nil:
		return err
	}
	var file *replyFile
	if *attach != "" {
		content, err := os.ReadFile(*attach)
		if err != nil {
			return fmt.Errorf("--attach: %w", err)
		}
		file = &replyFile{name: filepath.Base(*attach), content: content}
	}
	raw, err := handlerReply(n, *text, file, time.Now())
	if err != nil {
		return err
	}
	addr := dialAddr(in.Addr)
	if err := sendReply(ctx, addr, in, n.To, n.ReplyTo, raw); err != nil {
		return fmt.Errorf("sending the reply to %s: %w", addr, err)
	}
	fmt.Fprintf(stdout, "Replied as %s to %s (%q), over %s to %s: ME took it.\n"+
		"It is an event in the case (\"Svar från handläggaren\"), and the citizen is notified; `me mail` lists it.\n",
		n.To, n.ReplyTo, n.Subject, strings.ToUpper(in.Protocol), addr)
	return nil
}

type replyFile struct {
	name    string
	content []byte
}

// handlerReply is the handler's answer to the handler mail n, as a mail
// client writes it: Sv: subject, In-Reply-To, the text above the quoted
// mail, and the file attached.
func handlerReply(n me.Notification, text string, file *replyFile, now time.Time) ([]byte, error) {
	var h gomail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*gomail.Address{{Address: n.To}})
	h.SetAddressList("To", []*gomail.Address{{Address: n.ReplyTo}})
	h.SetSubject("Sv: " + n.Subject)
	if id := strings.Trim(n.IdempotencyKey, "<>"); id != "" {
		h.SetMsgIDList("In-Reply-To", []string{id})
		h.SetMsgIDList("References", []string{id})
	}
	_, domain, _ := strings.Cut(n.To, "@")
	if err := h.GenerateMessageIDWithHostname(cmp.Or(domain, "localhost")); err != nil {
		return nil, err
	}
	var quoted strings.Builder
	fmt.Fprintf(&quoted, "\n\nDen %s skrev Mina Engagemang <%s>:\n", n.Created.Local().Format("2006-01-02 15:04"), n.ReplyTo)
	for _, l := range strings.Split(strings.TrimRight(n.Text, "\n"), "\n") {
		quoted.WriteString(strings.TrimRight("> "+l, " ") + "\n")
	}
	body := strings.TrimSpace(text) + quoted.String()

	var buf bytes.Buffer
	var textHeader gomail.InlineHeader
	textHeader.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	if file == nil {
		h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
		w, err := gomail.CreateSingleInlineWriter(&buf, h)
		if err != nil {
			return nil, err
		}
		io.WriteString(w, body)
		if err := w.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	mw, err := gomail.CreateWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	tw, err := mw.CreateSingleInline(textHeader)
	if err != nil {
		return nil, err
	}
	io.WriteString(tw, body)
	if err := tw.Close(); err != nil {
		return nil, err
	}
	mediaType, _, _ := mime.ParseMediaType(mime.TypeByExtension(filepath.Ext(file.name)))
	var ah gomail.AttachmentHeader
	ah.SetContentType(cmp.Or(mediaType, "application/octet-stream"), nil)
	ah.SetFilename(file.name)
	aw, err := mw.CreateAttachment(ah)
	if err != nil {
		return nil, err
	}
	aw.Write(file.content)
	if err := aw.Close(); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// dialAddr is where to reach a listener on addr from this host: an
// unspecified host (0.0.0.0, ::, none) is reached on loopback.
func dialAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port)
}

// sendReply delivers raw from the handler to the reply address: in the
// clear on loopback, as ME allows there, and otherwise with STARTTLS,
// verifying ME's certificate for inbound_mail.hostname (or domain).
func sendReply(ctx context.Context, addr string, in config.InboundMail, from, to string, raw []byte) error {
	conn, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	conn.SetDeadline(time.Now().Add(time.Minute))
	lmtp := in.Protocol == "lmtp"
	var c *smtp.Client
	switch {
	case config.IsLoopback(addr) && lmtp:
		c = smtp.NewClientLMTP(conn)
	case config.IsLoopback(addr):
		c = smtp.NewClient(conn)
	case lmtp:
		conn.Close()
		return errors.New("LMTP is spoken here only to a loopback listener; ME takes LMTP from a local mail server")
	default:
		if c, err = smtp.NewClientStartTLS(conn, &tls.Config{ServerName: cmp.Or(in.Hostname, in.Domain)}); err != nil {
			conn.Close()
			return fmt.Errorf("STARTTLS: %w", err)
		}
	}
	defer c.Close()
	if err := c.SendMail(from, []string{to}, bytes.NewReader(raw)); err != nil {
		return fmt.Errorf("ME refused the reply: %w", err)
	}
	return c.Quit()
}
