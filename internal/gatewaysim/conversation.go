package gatewaysim

import (
	"fmt"
	"math"
	"sync/atomic"
)

// Speakers, as in Push.Speaker (the notification's talkertype).
const (
	SpeakerAgent    = "1"
	SpeakerCustomer = "2"
)

// line is one recognised utterance of the scripted call.
type line struct {
	speaker    string
	text       string
	confidence float64
}

// script is the customer-service call that streams replay, so pushes read
// like a real conversation: speakers alternate and confidences vary.
var script = [...]line{
	{SpeakerAgent, "Hello, thank you for calling. How can I help you?", 0.95},
	{SpeakerCustomer, "Hi, I would like to check my bill for this month.", 0.88},
	{SpeakerAgent, "Sure. May I have your account number, please?", 0.93},
	{SpeakerCustomer, "It is one two three four five six.", 0.81},
	{SpeakerAgent, "Thank you. Your bill this month is forty-eight yuan.", 0.96},
	{SpeakerCustomer, "Okay, that is all. Thanks, goodbye.", 0.9},
}

// defaultLine is what a lone Push from speaker says.
func defaultLine(speaker string) line {
	if speaker == SpeakerAgent {
		return script[0]
	}
	return script[1]
}

// callIDs numbers simulated calls; one counter per simulator.
type callIDs struct{ seq atomic.Int64 }

// withDefaults fills the zero fields of p (see Push).
func (s *Sim) withDefaults(p Push) Push {
	if p.CallID == "" {
		p.CallID = s.newCallID()
	}
	if p.Speaker == "" {
		p.Speaker = SpeakerCustomer
	}
	if p.Text == "" {
		p.Text = defaultLine(p.Speaker).text
	}
	if p.CauseCode == "" {
		p.CauseCode = "0"
	}
	// NaN and infinities cannot be sent as JSON numbers.
	if p.Confidence == 0 || math.IsNaN(p.Confidence) || math.IsInf(p.Confidence, 0) {
		p.Confidence = 0.9
	}
	return p
}

// newCallID makes a platform-style call ID: "<unix seconds>-<sequence>".
func (s *Sim) newCallID() string {
	return fmt.Sprintf("%d-%d", s.clock.Now().Unix(), s.calls.seq.Add(1))
}

// conversation walks the script for one stream: every push is the next
// line of the same call, and a new call (new ID) starts after the last.
type conversation struct {
	sim    *Sim
	callID string
	turn   int
}

func (s *Sim) newConversation() *conversation { return &conversation{sim: s} }

// next returns the next line as a Push; text, when not "", replaces it.
func (c *conversation) next(text string) Push {
	if c.turn%len(script) == 0 {
		c.callID = c.sim.newCallID()
	}
	l := script[c.turn%len(script)]
	c.turn++
	if text != "" {
		l.text = text
	}
	return Push{CallID: c.callID, Speaker: l.speaker, Text: l.text, CauseCode: "0", Confidence: l.confidence}
}
