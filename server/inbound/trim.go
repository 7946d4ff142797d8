package inbound

import (
	"regexp"
	"strings"
)

// The trimming rules: what of a reply's text is the handler's new text.
// docs/administrators.md lists them; the full original is kept.
//
//  1. The text is cut at the first line that begins the quoted history:
//     "On … wrote:" / "Den … skrev …:" (also when a mail client wrapped it
//     over two lines), "-----Original Message-----" /
//     "-----Ursprungligt meddelande-----", or a "From:"/"Från:" line
//     followed within five lines by "Sent:"/"Skickat:"/"Date:"/"Datum:"
//     (Outlook's header block).
//  2. Every remaining line that starts with ">" (quoted text) is removed.
//  3. The text is cut at the signature delimiter "-- " (or "--") on a line
//     of its own, and "Sent from my …" / "Skickat från min …" lines are
//     removed.
//  4. Blank lines at the start and end are removed, and runs of more than
//     one blank line become one.
var (
	wroteLine    = regexp.MustCompile(`(?i)^(on\s.+\swrote|den\s.+\sskrev|\d{4}-\d{2}-\d{2}.+\sskrev|.+\sskrev\s.+)\s*:\s*$`)
	wroteStart   = regexp.MustCompile(`(?i)^(on|den)\s.+`)
	originalLine = regexp.MustCompile(`(?i)^\s*-{2,}\s*(original message|ursprungligt meddelande|forwarded message|vidarebefordrat meddelande)\s*-{2,}\s*$`)
	fromLine     = regexp.MustCompile(`(?i)^\s*\**(from|från|fra)\s*:\**\s`)
	sentLine     = regexp.MustCompile(`(?i)^\s*\**(sent|skickat|sendt|date|datum)\s*:\**\s`)
	mobileLine   = regexp.MustCompile(`(?i)^\s*(sent from my|skickat från min|skickat från|hämta outlook för)\b`)
)

// Trim returns the new text of a reply: the quoted history and the
// signature removed, by the rules above.
func Trim(text string) string {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(text, "\n")
	end := len(lines)
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if wroteLine.MatchString(t) || originalLine.MatchString(t) ||
			(wroteStart.MatchString(t) && i+1 < len(lines) && wroteLine.MatchString(t+" "+strings.TrimSpace(lines[i+1])) && strings.HasSuffix(strings.TrimSpace(lines[i+1]), ":")) {
			end = i
			break
		}
		if fromLine.MatchString(l) && headerBlock(lines[i+1:]) {
			end = i
			// Outlook draws a line above its header block.
			if end > 0 && strings.Trim(lines[end-1], "_- ") == "" && strings.TrimSpace(lines[end-1]) != "" {
				end--
			}
			break
		}
		if t == "--" || l == "-- " {
			end = i
			break
		}
	}
	var out []string
	blank := 0
	for _, l := range lines[:end] {
		if strings.HasPrefix(strings.TrimLeft(l, " "), ">") || mobileLine.MatchString(l) {
			continue
		}
		l = strings.TrimRight(l, " \t")
		if l == "" {
			blank++
			continue
		}
		if blank > 0 && len(out) > 0 {
			out = append(out, "")
		}
		blank = 0
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// headerBlock reports whether a "Sent:"-like line follows within five
// lines: the rest of a quoted mail's header block.
func headerBlock(next []string) bool {
	for i, l := range next {
		if i == 5 {
			break
		}
		if sentLine.MatchString(l) {
			return true
		}
	}
	return false
}
