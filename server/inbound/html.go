package inbound

import (
	"io"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlText converts an HTML-only mail to plain text: the text of the
// elements, with line breaks where blocks end, and nothing of scripts,
// styles, the head, forms or embedded objects. No markup survives, so
// nothing can run where the text is shown; a blockquote's text is quoted
// with "> ", so the trimming rules remove it like quoted plain text.
func htmlText(r io.Reader) (string, error) {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(0)
	var b strings.Builder
	skip := 0      // inside elements whose content is never text
	quote := 0     // blockquote depth
	space := false // the text so far ended in white space
	newline := func() {
		space = false
		b.WriteString("\n")
		for range quote {
			b.WriteString("> ")
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() == io.EOF {
				return b.String(), nil
			}
			return b.String(), z.Err()
		case html.TextToken:
			if skip == 0 {
				raw := string(z.Text())
				text := strings.Join(strings.Fields(raw), " ")
				if text == "" {
					space = space || raw != ""
					continue
				}
				if (space || unicode.IsSpace(rune(raw[0]))) && !strings.HasSuffix(b.String(), "\n") && !strings.HasSuffix(b.String(), " ") && b.Len() > 0 {
					b.WriteString(" ")
				}
				b.WriteString(text)
				space = unicode.IsSpace(rune(raw[len(raw)-1]))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Script, atom.Style, atom.Head, atom.Title, atom.Template, atom.Noscript, atom.Iframe,
				atom.Object, atom.Embed, atom.Svg, atom.Math, atom.Select, atom.Textarea:
				// A self-closing one has no content to skip.
				if tt == html.StartTagToken {
					skip++
				}
			case atom.Blockquote:
				quote++
				newline()
			case atom.Br, atom.P, atom.Div, atom.Li, atom.Tr, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Hr, atom.Table, atom.Ul, atom.Ol:
				newline()
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Script, atom.Style, atom.Head, atom.Title, atom.Template, atom.Noscript, atom.Iframe,
				atom.Object, atom.Embed, atom.Svg, atom.Math, atom.Select, atom.Textarea:
				if skip > 0 {
					skip--
				}
			case atom.Blockquote:
				if quote > 0 {
					quote--
				}
				newline()
			case atom.P, atom.Div, atom.Li, atom.Tr, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Table:
				newline()
			}
		}
	}
}
