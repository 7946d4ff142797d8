package inbound

// Loopback is the decision whether a client may send without STARTTLS.
var Loopback = loopback
