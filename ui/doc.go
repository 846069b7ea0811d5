// Package ui is pktop's terminal screen: it draws the model's snapshots
// with tview and tcell (and asciigraph for the graphs) and turns keys and
// mouse clicks into view changes for the model.
//
// Imports: ui imports model (the snapshots it draws), tview, tcell,
// asciigraph and uniseg (text width). It must never import
// github.com/pktop/pktop/sniff nor gopacket: what it knows of the source
// comes through Config (a title, a filter, a Player interface and an
// error). The test TestImportBoundaries in the module root enforces this.
//
// Threading. These goroutines touch a UI:
//   - The UI goroutine runs tview's event loop (Application.Run, called
//     by UI.Run). It alone touches widgets. Key and mouse handlers run on
//     it: they change the view state (under UI.mu), send view changes to
//     the model with Model.SetView or Model.Reset (which never block),
//     and wake the pump. They never call Draw nor QueueUpdate*.
//   - The pump goroutine wakes on a ticker (Config.Refresh, 250 ms by
//     default) or when a key wakes it. It takes the latest snapshot (none
//     while the display is paused), copies the view state under UI.mu,
//     and, when what the screen shows changed (the capture clock's second,
//     the view, the replay's state; see frameKey), paints a frame: the
//     whole screen as a canvas of cells. It then makes one
//     QueueUpdateDraw call that only makes that frame current. It never
//     redraws per packet, and skips the call when the frame's cells did
//     not change. It is the only caller of QueueUpdate*.
//   - The supervisor goroutine waits for the context to be done (the q
//     key, Ctrl-C, a signal), then for the pump to return, and only then
//     stops the application (a QueueUpdateDraw made after
//     Application.Stop would block forever), which restores the terminal;
//     Run then calls Config.Shutdown (which stops the feed and the model).
//   - The watchdog goroutine: once asked to quit, if the application has
//     not stopped within a second (a draw that never returns), it
//     restores the terminal's modes itself and calls Config.Stuck.
//     Keys are seen by diffScreen.PollEvent on tview's event goroutine
//     before tview queues them, so q and Ctrl-C are heard even then.
//
// Every snapshot is immutable: the pump and the UI goroutine both read
// the frame's snapshot without locks.
//
// The screen is drawn in cells (canvas.go), never through tview's tagged
// text: no text is parsed for markup on its way to the terminal. Text
// that comes from packets or file names (host names, the source, filters,
// errors) is made inert by model.Sanitize, pktop's one path for untrusted
// text, where it enters a frame (safe in format.go); FuzzUntrustedText
// draws arbitrary bytes through it onto a simulation screen.
package ui
