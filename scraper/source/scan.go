package source

import (
	"bytes"
	"io"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The scanner walks a page once with html.Tokenizer, keeping a stack of
// open elements, and hands each parser start tags (with their depth),
// text, and the closing of every element it opened. It builds no tree and
// copies nothing it is not asked for, so a parse costs less than
// html.Parse of the same bytes.
//
// Real pages are not well formed: end tags that close nothing are ignored,
// an end tag closes every element opened after its own start, void elements
// (img, input, br...) are never pushed, and the implied ends of li, p, dt,
// dd, tr, td, th and option are applied, so a missing </li> never nests
// one card in the next.

type evKind uint8

const (
	evStart evKind = iota + 1 // an element opens (void and self-closing ones too)
	evEnd                     // an element the scanner opened closes
	evText                    // text outside script and style
)

// maxDepth bounds the stack: deeper elements are scanned as if they were
// void, so hostile nesting costs linear time.
const maxDepth = 256

type frame struct {
	a    atom.Atom
	name string // only when a is 0 (an unknown element)
}

type event struct {
	kind  evKind
	a     atom.Atom
	name  []byte // evStart: the tag name (valid until the next event)
	depth int    // of the element (evStart, evEnd) or of the text's parent
	text  []byte // evText: unescaped text (valid until the next event)
	attrs []attr // evStart (valid until the next event)
}

type attr struct{ key, val []byte }

// get returns the value of the attribute key.
func (e *event) get(key string) ([]byte, bool) {
	for _, a := range e.attrs {
		if string(a.key) == key {
			return a.val, true
		}
	}
	return nil, false
}

// hasClass reports whether the class attribute holds the class c.
func (e *event) hasClass(c string) bool {
	v, ok := e.get("class")
	return ok && classIn(v, c)
}

// classContains reports whether a class of the element contains part
// ("product-item-attribute-release-date" contains "release-date").
func (e *event) classContains(part string) bool {
	v, ok := e.get("class")
	return ok && bytes.Contains(v, []byte(part))
}

func classIn(list []byte, c string) bool {
	for len(list) > 0 {
		i := 0
		for i < len(list) && !isSpace(list[i]) {
			i++
		}
		if string(list[:i]) == c {
			return true
		}
		for i < len(list) && isSpace(list[i]) {
			i++
		}
		list = list[i:]
	}
	return false
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' }

// scan walks r and calls fn for every event. It returns the reader's
// error, if any (io.EOF is not an error).
func scan(r io.Reader, fn func(*event)) error {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(0)
	var (
		stack = make([]frame, 0, 64)
		ev    event
		attrs = make([]attr, 0, 16)
	)
	pop := func(to int) { // close stack[to:], innermost first
		for len(stack) > to {
			f := stack[len(stack)-1]
			ev = event{kind: evEnd, a: f.a, depth: len(stack)}
			stack = stack[:len(stack)-1]
			fn(&ev)
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			pop(0)
			if err := z.Err(); err != io.EOF {
				return err
			}
			return nil
		case html.TextToken:
			if n := len(stack); n > 0 && (stack[n-1].a == atom.Script || stack[n-1].a == atom.Style) {
				continue
			}
			ev = event{kind: evText, text: z.Text(), depth: len(stack)}
			fn(&ev)
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			a := atom.Lookup(name)
			attrs = attrs[:0]
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				attrs = append(attrs, attr{k, v})
			}
			if closes := impliedEnd(a, stack); closes >= 0 {
				pop(closes)
			}
			push := tt == html.StartTagToken && !isVoid(a) && len(stack) < maxDepth
			ev = event{kind: evStart, a: a, name: name, attrs: attrs, depth: len(stack) + 1}
			if push {
				f := frame{a: a}
				if a == 0 {
					f.name = string(name)
				}
				stack = append(stack, f)
			}
			fn(&ev)
			if !push {
				// A void element has no inside: tell parsers it closed.
				ev = event{kind: evEnd, a: a, name: name, depth: len(stack) + 1}
				fn(&ev)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if isVoid(a) {
				continue
			}
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].a == a && (a != 0 || stack[i].name == string(name)) {
					pop(i)
					break
				}
			}
		}
	}
}

func isVoid(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img, atom.Input,
		atom.Link, atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr:
		return true
	}
	return false
}

// impliedEnd returns the stack index an opening a closes (the open element
// it implicitly ends), or -1. Only the common cases of the HTML spec: a new
// li ends the open li of the same list, and so on.
func impliedEnd(a atom.Atom, stack []frame) int {
	var same []atom.Atom    // elements a closes
	var barrier []atom.Atom // containers that stop the search
	switch a {
	case atom.Li:
		same, barrier = []atom.Atom{atom.Li}, []atom.Atom{atom.Ul, atom.Ol, atom.Menu}
	case atom.Dt, atom.Dd:
		same, barrier = []atom.Atom{atom.Dt, atom.Dd}, []atom.Atom{atom.Dl}
	case atom.Tr:
		same, barrier = []atom.Atom{atom.Tr}, []atom.Atom{atom.Table, atom.Tbody, atom.Thead, atom.Tfoot}
	case atom.Td, atom.Th:
		same, barrier = []atom.Atom{atom.Td, atom.Th}, []atom.Atom{atom.Tr, atom.Table}
	case atom.Option:
		same, barrier = []atom.Atom{atom.Option}, []atom.Atom{atom.Select, atom.Datalist}
	case atom.P, atom.Div, atom.Ul, atom.Ol, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Table, atom.Form, atom.Section, atom.Article, atom.Header, atom.Footer, atom.Figure:
		// Block elements end an open p (the most common stray in cards).
		same, barrier = []atom.Atom{atom.P}, []atom.Atom{atom.Div, atom.Li, atom.Td, atom.Th, atom.Button,
			atom.Section, atom.Article, atom.Body, atom.Main, atom.Span, atom.A}
	default:
		return -1
	}
	for i := len(stack) - 1; i >= 0; i-- {
		f := stack[i].a
		if in(f, same) {
			return i
		}
		if in(f, barrier) {
			return -1
		}
	}
	return -1
}

func in(a atom.Atom, list []atom.Atom) bool {
	for _, b := range list {
		if a == b {
			return true
		}
	}
	return false
}

// textBuf collects the text of one element, spaces collapsed.
type textBuf struct {
	depth int // of the element collected; 0 when not collecting
	buf   []byte
}

func (t *textBuf) begin(depth int) {
	if t.depth == 0 {
		t.depth = depth
	}
}

// collecting reports whether text at depth belongs to the element.
func (t *textBuf) collecting(depth int) bool { return t.depth > 0 && depth >= t.depth }

func (t *textBuf) add(b []byte) {
	for _, c := range b {
		if isSpace(c) {
			if len(t.buf) > 0 && t.buf[len(t.buf)-1] != ' ' {
				t.buf = append(t.buf, ' ')
			}
			continue
		}
		t.buf = append(t.buf, c)
	}
	if len(t.buf) > 0 && t.buf[len(t.buf)-1] != ' ' {
		t.buf = append(t.buf, ' ') // text nodes are words apart: "<b>n.</b>19"
	}
}

// end stops collecting when the element at depth closes; it reports
// whether it did.
func (t *textBuf) end(depth int) bool {
	if t.depth > 0 && depth == t.depth {
		t.depth = 0
		return true
	}
	return false
}

func (t *textBuf) String() string { return string(bytes.TrimSpace(t.buf)) }

func (t *textBuf) reset() { t.depth, t.buf = 0, t.buf[:0] }
