package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store/storetest"
)

// TestWriteProbeAndStatus: the readiness write fails while the database
// refuses writes and succeeds again after; WriteStatus follows the last
// commit of the signal and audit writers, counts each failure, and is not
// moved by a signal refused for what it holds.
func TestWriteProbeAndStatus(t *testing.T) {
	ctx := context.Background()
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			dsn := storetest.DSN(t, driver)
			s := storetest.OpenAt(t, driver, dsn)
			setup(t, s)
			var tx int
			recordSignal := func(sig me.Signal) error {
				tx++
				_, err := s.RecordSignal(ctx, shsMessage(fmt.Sprintf("tx-ready-%d", tx)), sig, at(tx))
				return err
			}
			good := func() error { return recordSignal(bygglovSignal()) }
			refused := func() error { // an action on an attachment the event lacks
				sig := bygglovSignal()
				sig.Event.ExternalID = "refused"
				sig.Event.Actions[0].AttachmentSignalID = "missing"
				return recordSignal(sig)
			}
			audit := func() error {
				return s.Audit(ctx, me.AuditEntry{Time: at(0), Client: "malmo-portal", PersonalIdentityNumber: tolvan.PersonalIdentityNumber, Operation: "GetCase"})
			}
			probe := func() error { return s.ProbeWrite(ctx, "node-1", at(tx)) }

			steps := []struct {
				name       string
				refuse     []string // tables that refuse inserts during the step
				act        func() error
				wantActErr bool
				wantFailed uint64
				wantErr    bool
			}{
				{name: "probe", act: probe},
				{name: "probe again", act: probe},
				{name: "probe while the database refuses writes", refuse: []string{"readiness"}, act: probe, wantActErr: true},
				{name: "signal", act: good},
				{name: "signal while the database refuses writes", refuse: []string{"shs_messages"}, act: good, wantActErr: true, wantFailed: 1, wantErr: true},
				{name: "a refused signal changes nothing", act: refused, wantActErr: true, wantFailed: 1, wantErr: true},
				{name: "audit while the database refuses writes", refuse: []string{"audit_log"}, act: audit, wantActErr: true, wantFailed: 2, wantErr: true},
				{name: "audit", act: audit, wantFailed: 2},
				{name: "signal after", act: good, wantFailed: 2},
			}
			for _, st := range steps {
				allow := func() {}
				if st.refuse != nil {
					allow = storetest.RefuseInserts(t, driver, dsn, st.refuse...)
				}
				err := st.act()
				allow()
				if (err != nil) != st.wantActErr {
					t.Fatalf("%s: %v; want error %v", st.name, err, st.wantActErr)
				}
				ws := s.WriteStatus()
				if ws.Failed != st.wantFailed || (ws.Err != nil) != st.wantErr {
					t.Fatalf("%s: WriteStatus = %d failed, last error %v; want %d failed, error %v", st.name, ws.Failed, ws.Err, st.wantFailed, st.wantErr)
				}
			}
		})
	}
}
