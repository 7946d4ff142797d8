package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

// The case system's list of the case handlers' e-mail replies, so it can
// register them (diarieföring): GET /casesystem/replies?after=<id> gives
// the organisation's accepted replies after the last one taken, oldest
// first, as JSON; GET /casesystem/replies/{id}/original gives one reply's
// full original mail (message/rfc822). Only clients with role casesystem,
// each its own organisation's. docs/case-systems.md describes it.

// maxRepliesPage is the most replies one list gives.
const maxRepliesPage = 100

type handlerReplies struct {
	store *store.Store
}

type replyItem struct {
	ID             int64     `json:"id"`
	CaseID         string    `json:"caseId"`
	CaseExternalID string    `json:"caseExternalId"`
	CaseNumber     string    `json:"caseNumber,omitempty"`
	EventID        string    `json:"eventId"`
	MessageID      string    `json:"messageId"`
	Subject        string    `json:"subject"`
	Received       time.Time `json:"received"`
	Original       string    `json:"original"`
}

func (h handlerReplies) caseSystem(w http.ResponseWriter, r *http.Request) (me.Client, bool) {
	c, _ := clientFrom(r.Context())
	if c.Role != me.RoleCaseSystem {
		http.Error(w, fmt.Sprintf("client %q has role %s; only clients with role casesystem may list the handlers' replies", c.Name, c.Role), http.StatusForbidden)
		return c, false
	}
	return c, true
}

func (h handlerReplies) list(w http.ResponseWriter, r *http.Request) {
	c, ok := h.caseSystem(w, r)
	if !ok {
		return
	}
	var after int64
	if s := r.URL.Query().Get("after"); s != "" {
		var err error
		if after, err = strconv.ParseInt(s, 10, 64); err != nil || after < 0 {
			http.Error(w, "after must be the id of the last reply taken (0 or more)", http.StatusBadRequest)
			return
		}
	}
	limit := maxRepliesPage
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxRepliesPage {
			http.Error(w, fmt.Sprintf("limit must be 1 to %d", maxRepliesPage), http.StatusBadRequest)
			return
		}
		limit = n
	}
	list, err := h.store.HandlerReplies(r.Context(), c.OrganisationNumber, after, limit)
	if err != nil {
		http.Error(w, "listing the replies failed; try again", http.StatusInternalServerError)
		return
	}
	out := struct {
		Replies []replyItem `json:"replies"`
	}{Replies: []replyItem{}}
	for _, rp := range list {
		out.Replies = append(out.Replies, replyItem{ID: rp.ID, CaseID: rp.CaseID, CaseExternalID: rp.CaseExternalID, CaseNumber: rp.CaseNumber,
			EventID: rp.EventID, MessageID: rp.MessageID, Subject: rp.Subject, Received: rp.Received.UTC(),
			Original: fmt.Sprintf("/casesystem/replies/%d/original", rp.ID)})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(out)
}

func (h handlerReplies) original(w http.ResponseWriter, r *http.Request) {
	c, ok := h.caseSystem(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "no such reply", http.StatusNotFound)
		return
	}
	raw, err := h.store.HandlerReplyOriginal(r.Context(), c.OrganisationNumber, id)
	if errors.Is(err, me.ErrNotFound) {
		http.Error(w, "no such reply", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "reading the reply failed; try again", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "message/rfc822")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"reply-%d.eml\"", id))
	w.Write(raw)
}
