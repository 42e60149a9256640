// Package ui renders the dashboard's HTML pages with templ. Each page takes
// one typed view model, built by its handler in package web; nothing here
// reads the store or decides what a fact means.
package ui
