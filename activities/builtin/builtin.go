// Package builtin registers the command families EaaPL ships with: one line per family. A new family is
// a package under activities/ and one line here (docs/adding-a-command.md). Packages that check or run
// plans import it for its registrations; plan does, so every planner, validator and worker has them.
package builtin

import (
	"github.com/eaapl/eaapl/activities/contacts"
	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/activities/files"
	"github.com/eaapl/eaapl/activities/text"
	"github.com/eaapl/eaapl/activities/web"
	"github.com/eaapl/eaapl/catalog"
)

func init() {
	catalog.Register(contacts.Commands()...)
	catalog.Register(email.Commands()...)
	catalog.Register(files.Commands()...)
	catalog.Register(web.Commands()...)
	catalog.Register(text.Commands()...)
}
