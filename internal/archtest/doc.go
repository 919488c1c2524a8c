// Package archtest holds the test that enforces samlab's package dependency
// direction (DESIGN.md "Packages"); it has no code of its own.
package archtest
