package memstore

import (
	"context"
	"fmt"
	"maps"

	"github.com/itsmsync/itsmsync/itsm"
)

// PostedNotes returns the posted notes of a case keyed by note id, in a new
// map the caller owns (nil when the case has none).
func (s *Store) PostedNotes(_ context.Context, integrationID, caseID string) (map[string]itsm.PostedNote, error) {
	s.noteMu.RLock()
	defer s.noteMu.RUnlock()
	return maps.Clone(s.notes[caseKey{integrationID, caseID}]), nil
}

// MarkNotePosted records n; an error wrapping itsm.ErrConflict when that note
// id is already recorded for the case.
func (s *Store) MarkNotePosted(_ context.Context, n itsm.PostedNote) error {
	k := caseKey{n.IntegrationID, n.CaseID}
	s.noteMu.Lock()
	defer s.noteMu.Unlock()
	m := s.notes[k]
	if _, ok := m[n.NoteID]; ok {
		return fmt.Errorf("memstore: mark note %q posted: %w", n.NoteID, itsm.ErrConflict)
	}
	if m == nil {
		m = make(map[string]itsm.PostedNote)
		s.notes[k] = m
	}
	m[n.NoteID] = n
	return nil
}

// UpdatePostedNote replaces the record of an already posted note; an error
// wrapping itsm.ErrNotFound when it is not recorded.
func (s *Store) UpdatePostedNote(_ context.Context, n itsm.PostedNote) error {
	s.noteMu.Lock()
	defer s.noteMu.Unlock()
	m := s.notes[caseKey{n.IntegrationID, n.CaseID}]
	if _, ok := m[n.NoteID]; !ok {
		return fmt.Errorf("memstore: update posted note %q: %w", n.NoteID, itsm.ErrNotFound)
	}
	m[n.NoteID] = n
	return nil
}

// ClearFailedNote removes the record of a failed, pending or unconfirmed
// note; an error wrapping itsm.ErrNotFound when the note has no such record
// (a posted note's record is left alone).
func (s *Store) ClearFailedNote(_ context.Context, integrationID, caseID, noteID string) error {
	s.noteMu.Lock()
	defer s.noteMu.Unlock()
	m := s.notes[caseKey{integrationID, caseID}]
	if n, ok := m[noteID]; !ok || !(n.Failed || n.Unsettled()) {
		return fmt.Errorf("memstore: clear failed note %q: %w", noteID, itsm.ErrNotFound)
	}
	delete(m, noteID)
	return nil
}
