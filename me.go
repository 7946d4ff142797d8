// Package me holds Mina Engagemang's domain types, one file per entity:
// organisations and their system clients, cases (ärenden) with their events
// (händelser), citizens (medborgare), e-services (eTjänster), tickets, SHS
// messages, notifications and the audit log, and the errors services return.
// It depends on nothing but the standard library, so that every other
// package (store, server, notify, cmd) can import it without cycles. It
// knows nothing of SOAP, SQL or HTTP.
package me
