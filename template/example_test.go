package template_test

import (
	"errors"
	"fmt"

	"github.com/itsmsync/itsmsync/template"
)

// A Jira-style create payload: the case title lands inside a JSON string,
// the tags become a JSON array.
func Example() {
	tpl, err := template.Parse(
		`{"fields": {"summary": "[SIEM] $case_name", "labels": $tags, "priority": {"name": "$priority"}}}`,
		template.Options{Name: "create_payload", Syntax: template.JSON})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := tpl.Render(template.Values{
		"case_name": template.String(`Login "burst" from 10.0.0.7` + "\n"),
		"tags":      template.Strings([]string{"siem", "brute-force"}),
		"priority":  template.String("High"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(out))
	fmt.Println(tpl.Variables())
	// Output:
	// {"fields": {"summary": "[SIEM] Login \"burst\" from 10.0.0.7\n", "labels": ["siem","brute-force"], "priority": {"name": "High"}}}
	// [case_name tags priority]
}

// In a URL, a value in the path is escaped as one segment, so it cannot
// walk the path; in the query it is query-escaped.
func ExampleParse_url() {
	tpl, err := template.Parse("https://jira.example.com/rest/api/2/issue/$ticket_id/comment?expand=$expand",
		template.Options{Name: "comment_url", Syntax: template.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := tpl.Render(template.Values{
		"ticket_id": template.String("../../admin"),
		"expand":    template.String("renderedBody&x=1"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(out))
	// Output:
	// https://jira.example.com/rest/api/2/issue/..%2F..%2Fadmin/comment?expand=renderedBody%26x%3D1
}

// A misspelled variable is refused when the template is parsed, so a
// configuration can be rejected on save.
func ExampleParse_unknownVariable() {
	_, err := template.Parse(`{"summary": "$case_nmae"}`, template.Options{
		Name:   "create_payload",
		Syntax: template.JSON,
		Known:  []string{"case_name", "description", "tags", "fields."},
	})
	fmt.Println(err)
	fmt.Println(errors.Is(err, template.ErrUnknownVariable))
	var e *template.Error
	if errors.As(err, &e) {
		fmt.Println(e.Variable, e.Offset)
	}
	// Output:
	// template: unknown variable in "create_payload": $case_nmae at offset 13 (did you mean $case_name? known variables: $case_name, $description, $fields.<name>, $tags)
	// true
	// case_nmae 13
}

// Append renders into a caller's buffer without allocating.
func ExampleTemplate_Append() {
	tpl, err := template.Parse("X-SIEM-Case: case-$case_id", template.Options{Syntax: template.Header})
	if err != nil {
		fmt.Println(err)
		return
	}
	buf := make([]byte, 0, 64)
	buf, err = tpl.Append(buf, template.Values{"case_id": template.Int(42)})
	fmt.Println(string(buf), err)
	_, err = tpl.Append(buf[:0], template.Values{"case_id": template.String("42\r\nX-Injected: 1")})
	fmt.Println(err)
	// Output:
	// X-SIEM-Case: case-42 <nil>
	// template: unsafe value: $case_id at offset 18 (a header value cannot contain CR, LF, NUL or another control character (only HTAB is allowed))
}
