// Package journey holds the browser suite that walks the console's main
// journeys as its users do — first sign-in, a gateway added and tested, a
// register refused then granted, a subscription kept alive, a notification
// received, modified, its token replaced, cancelled, found in the history,
// exported, the audit trail read and verified, an auditor added and signed
// in — in English and in Chinese, on a desktop and a phone, light and dark.
// On every page it checks that nothing scrolls sideways and that axe-core
// finds no serious or critical accessibility violation, and it can save a
// picture of each step (CCSUB_JOURNEY_SHOTS). The package has only tests.
package journey
