package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func testReport(t *testing.T) *Report {
	t.Helper()
	r, err := Compute(testData(), testOptions(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// CSV carries the same figures as TestTotal, TestOperators and TestHours, unrounded.
func TestCSV(t *testing.T) {
	r := testReport(t)
	for _, tc := range []struct {
		by   By
		rows int
		row  int               // the record checked, 0 is the header
		want map[string]string // column → value
	}{
		{ByPeriod, 3, 2, map[string]string{"day": "total", "offered": "11", "answered": "5", "short_abandoned": "2", "sl_20s_within": "3",
			"sl_20s_percent": "37.5", "sl_2m_percent": "50", "abandon_rate": "12.5", "asa_seconds": "54", "wrap_up_seconds": "55", "in_progress": "1"}},
		{ByPeriod, 3, 1, map[string]string{"day": "2026-11-23", "offered": "11"}},
		{ByHour, 25, 12, map[string]string{"hour": "11", "offered": "2", "sl_20s_percent": "0", "asa_seconds": "", "aht_seconds": ""}},
		{ByTopic, 4, 3, map[string]string{"topic": "policy", "label": "Замена полиса", "aht_seconds": "350"}},
		{ByOperator, 4, 1, map[string]string{"id": "1", "name": "Anna", "handled": "4", "aht_seconds": "278.75", "asa_seconds": "52.5", "staffed_seconds": "5585"}},
		{ByOperator, 4, 3, map[string]string{"name": "Vera", "transferred_in": "1", "asa_seconds": "", "overdue_cases": "1"}},
	} {
		var buf bytes.Buffer
		if err := WriteCSV(&buf, r, tc.by); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != tc.rows {
			t.Fatalf("by %s: %d records, want %d", tc.by, len(recs), tc.rows)
		}
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		for k, want := range tc.want {
			i, ok := col[k]
			if !ok {
				t.Errorf("by %s: no column %q in %q", tc.by, k, recs[0])
				continue
			}
			if got := recs[tc.row][i]; got != want {
				t.Errorf("by %s, row %d, %s = %q, want %q", tc.by, tc.row, k, got, want)
			}
		}
	}
}

// JSON round-trips the numbers; a rate with nothing to divide by is null.
func TestJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, testReport(t)); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Total struct {
			Offered      int `json:"offered"`
			ServiceLevel []struct {
				Target  float64  `json:"target_seconds"`
				Percent *float64 `json:"percent"`
			} `json:"service_level"`
			AHT float64 `json:"aht_seconds"`
		} `json:"total"`
		Hours []struct {
			ASA *float64 `json:"asa_seconds"`
		} `json:"hours"`
		Callbacks struct {
			Kept int `json:"kept"`
		} `json:"callbacks"`
		Cases struct {
			Overdue []struct {
				Number string `json:"number"`
			} `json:"overdue"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Total.Offered != 11 || len(got.Total.ServiceLevel) != 2 || got.Total.ServiceLevel[1].Target != 120 ||
		*got.Total.ServiceLevel[0].Percent != 37.5 || got.Callbacks.Kept != 1 || len(got.Cases.Overdue) != 3 {
		t.Errorf("JSON = %s", buf.String())
	}
	if got.Hours[8].ASA != nil || !strings.Contains(buf.String(), `"asa_seconds": null`) {
		t.Errorf("hour 08 ASA = %v, want null", got.Hours[8].ASA)
	}
}

// The page is self-contained: no scripts, styles or images fetched, only inline SVG.
func TestHTML(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, testReport(t)); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, bad := range []string{"<script", "<link", "<img", "src=", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page has %q: not self-contained", bad)
		}
	}
	if urls := regexp.MustCompile(`https?://[^"]+`).FindAllString(page, -1); len(urls) != 1 || urls[0] != "http://www.w3.org/2000/svg" {
		t.Errorf("page names URLs %q; want only the SVG namespace", urls)
	}
	// Hour 09: answered 2, abandoned 1, short 2: three bars stacked. Two service-level lines.
	for _, want := range []string{"<svg", "<title>09:00 2</title>", "<title>09:00 1</title>", "<title>09:00 2</title>", "within 20s", "within 2m", "37.5%"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(page, "<polyline"); n != 2 {
		t.Errorf("%d service-level lines, want 2", n)
	}
}

// The page's operator table has the figures of the table by operator, one row per operator, and
// escapes what operators are called.
func TestHTMLOperators(t *testing.T) {
	d := presenceData()
	d.Operators[0].Name = `<b>Anna & "Co"</b>`
	r, err := Compute(d, presenceOptions(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if strings.Contains(page, "<b>Anna") || !strings.Contains(page, "&lt;b&gt;Anna &amp; &#34;Co&#34;&lt;/b&gt;") {
		t.Errorf("the operator's name is not escaped:\n%s", page)
	}
	_, ops, ok := strings.Cut(page, "<h2>Operators</h2>")
	if !ok {
		t.Fatalf("no operators table:\n%s", page)
	}
	ops, _, _ = strings.Cut(ops, "</table>")
	var rows [][]string
	for _, tr := range regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(ops, -1)[1:] { // [0]: the header
		var cells []string
		for _, td := range regexp.MustCompile(`<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(tr[1], -1) {
			cells = append(cells, html.UnescapeString(td[1]))
		}
		rows = append(rows, cells)
	}
	// presenceData, by hand: Anna two calls of 10 and 15 min, 5 s in the queue, 10 s wrap-up each,
	// staffed 16500 s, paused 3900 s; Boris one call of 5 min, no presence history (the observed
	// span, 310 s, marked *); Vera logged in all day without a call.
	//	id operator handled in out xfer% talk wrap AHT ASA staffed occupancy paused pauses logins overdue
	want := [][]string{
		{"1", `<b>Anna & "Co"</b>`, "2", "0", "0", "0.0%", "25m00s", "20s", "12m40s", "5s", "4h35m", "9.1%", "1h05m", "2 1h00m (2), missed 5m00s (1)", "2", "0"},
		{"2", "Boris", "1", "0", "0", "0.0%", "5m00s", "10s", "5m10s", "5s", "5m10s*", "96.8%", "-", "-", "-", "0"},
		{"3", "Vera", "0", "0", "0", "-", "0s", "0s", "-", "-", "8h00m", "0.0%", "0s", "-", "0", "0"},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("operator rows:\n got %q\nwant %q", rows, want)
	}
	if !strings.Contains(page, "<p>* no presence history in the range: staffed time is the observed span") {
		t.Errorf("the page does not explain the *:\n%s", page)
	}

	// The test day without presence history: the same figures as the table, overdue cases too.
	buf.Reset()
	if err := WriteHTML(&buf, testReport(t)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<td>1</td><td class="l">Anna</td><td>4</td><td>0</td><td>0</td><td>0.0%</td><td>18m00s</td><td>35s</td><td>4m39s</td><td>53s</td><td>1h33m*</td><td>19.3%</td><td>-</td><td class="l">-</td><td>-</td><td>1</td>`,
		`<td>3</td><td class="l">Vera</td><td>1</td><td>1</td><td>0</td>`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("page lacks %s:\n%s", want, buf.String())
		}
	}
}

func TestTable(t *testing.T) {
	r := testReport(t)
	for _, tc := range []struct {
		by   By
		want []string
	}{
		{ByPeriod, []string{"2026-11-23", "total", "37.5%", "Callbacks requested 4, made 2, kept 1 (25.0%), pending 2", "Cases registered 5", "2026-000005", "Overdue cases 3"}},
		{ByOperator, []string{"Anna", "4m39s", "19.3%"}}, // AHT 278.75 s; occupancy 1080/5585 = 19.34 %
		{ByTopic, []string{"Прикрепление к поликлинике", "(no topic)"}},
		{ByHour, []string{"HOUR", "33.3%"}},
	} {
		var buf bytes.Buffer
		if err := WriteTable(&buf, r, tc.by); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("by %s: table lacks %q:\n%s", tc.by, w, buf.String())
			}
		}
	}
}

// A long range of days shows only the days with calls; CSV keeps every day.
func TestTableOmitsQuietDays(t *testing.T) {
	o := testOptions()
	o.From, o.To = at(20, 0, 0, 0), at(26, 0, 0, 0) // calls on the 22nd, 23rd and 24th only
	r, err := Compute(testData(), o, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, r, ByPeriod); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "2026-11-20  ") || !strings.Contains(buf.String(), "2026-11-22  ") || !strings.Contains(buf.String(), "(3 days without calls not shown)") {
		t.Errorf("table:\n%s", buf.String())
	}
	buf.Reset()
	if err := WriteCSV(&buf, r, ByPeriod); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "\n"); n != 1+6+1 {
		t.Errorf("CSV has %d lines, want header, 6 days and the total", n)
	}
}
