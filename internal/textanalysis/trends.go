package textanalysis

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"
)

// Point is one value of a series and what labels it (a month, a row's first column).
type Point struct {
	Label string  `json:"label"`
	Value float64 `json:"value"`
}

// Series is a run of numbers in the order the source gives them, e.g. a table's numeric column.
type Series struct {
	Name   string  `json:"name"`
	Unit   string  `json:"unit,omitempty"` // "$", "%", "units", ...
	Points []Point `json:"points"`
	Source string  `json:"source"` // where it was found: "column revenue", "table at line 5", "lines 3-6"
}

// Trend describes a series.
type Trend struct {
	Series    string  `json:"series"`
	Unit      string  `json:"unit,omitempty"`
	Source    string  `json:"source"`
	Points    int     `json:"points"`
	Direction string  `json:"direction"` // "up", "down" or "flat"
	First     Point   `json:"first"`
	Last      Point   `json:"last"`
	Change    float64 `json:"change"` // Last - First
	// ChangePercent is Change relative to First; absent when First is 0.
	ChangePercent *float64 `json:"change_percent,omitempty"`
	// Highest and Lowest are the best and worst points, if a higher value is the better one (for costs
	// it is the other way round: the reader knows which).
	Highest Point `json:"highest"`
	Lowest  Point `json:"lowest"`
	// Slope is the least-squares line's change per step (gonum stat.LinearRegression over 0, 1, 2, ...).
	Slope  float64 `json:"slope"`
	Method string  `json:"method"`
}

// FlatWithin is how small the fitted line's rise over the whole series may be, relative to the series'
// mean magnitude, for the series to count as flat.
const FlatWithin = 0.02

// Trends describes each series of at least two points.
func Trends(series []Series) []Trend {
	var out []Trend
	for _, s := range series {
		if len(s.Points) < 2 {
			continue
		}
		xs := make([]float64, len(s.Points))
		ys := make([]float64, len(s.Points))
		t := Trend{Series: s.Name, Unit: s.Unit, Source: s.Source, Points: len(s.Points), Method: MethodLeastSquares,
			First: s.Points[0], Last: s.Points[len(s.Points)-1], Highest: s.Points[0], Lowest: s.Points[0]}
		for i, p := range s.Points {
			xs[i], ys[i] = float64(i), p.Value
			if p.Value > t.Highest.Value {
				t.Highest = p
			}
			if p.Value < t.Lowest.Value {
				t.Lowest = p
			}
		}
		_, t.Slope = stat.LinearRegression(xs, ys, nil, false)
		t.Change = t.Last.Value - t.First.Value
		if t.First.Value != 0 {
			pct := round(100*t.Change/math.Abs(t.First.Value), 2)
			t.ChangePercent = &pct
		}
		scale := 0.0
		for _, y := range ys {
			scale += math.Abs(y)
		}
		scale /= float64(len(ys))
		rise := t.Slope * float64(len(ys)-1)
		switch {
		case math.Abs(rise) <= FlatWithin*scale || rise == 0:
			t.Direction = "flat"
		case rise > 0:
			t.Direction = "up"
		default:
			t.Direction = "down"
		}
		t.Slope = round(t.Slope, 6)
		t.Change = round(t.Change, 6)
		out = append(out, t)
	}
	return out
}

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

var plainNumber = regexp.MustCompile(`^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$`)

// ParseNumber reads a value as people write them in reports: "1200", "$1,200", "-3.5", "(30)" (a
// negative amount), "12%", "1.2k", "4M", "2bn", "120 units". ok is false for anything else, such as a
// date, a time, a version or a word.
func ParseNumber(s string) (value float64, unit string, ok bool) {
	s = strings.TrimSpace(strings.NewReplacer("**", "", "__", "").Replace(s))
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, strings.TrimSpace(s[1:len(s)-1])
	}
	for _, sign := range []string{"-", "−", "+"} {
		if strings.HasPrefix(s, sign) {
			neg, s = neg != (sign != "+"), strings.TrimSpace(s[len(sign):])
			break
		}
	}
	for _, c := range []string{"$", "€", "£", "¥"} {
		if strings.HasPrefix(s, c) {
			unit, s = c, strings.TrimSpace(s[len(c):])
			break
		}
	}
	end := strings.IndexFunc(s, func(r rune) bool { return !(r >= '0' && r <= '9' || r == ',' || r == '.') })
	if end < 0 {
		end = len(s)
	}
	num := strings.TrimRight(s[:end], ".,") // "120." ends a sentence
	if !plainNumber.MatchString(num) {
		return 0, "", false
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(num, ",", ""), 64)
	if err != nil {
		return 0, "", false
	}
	rest := strings.TrimSpace(strings.TrimLeft(s[len(num):], ".,"))
	for suffix, scale := range map[string]float64{"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9} {
		if rest == suffix || strings.HasPrefix(rest, suffix+" ") {
			v, rest = v*scale, strings.TrimSpace(rest[len(suffix):])
			break
		}
	}
	if strings.ContainsAny(rest, "0123456789:/-") || len(rest) > 24 {
		return 0, "", false
	}
	if rest = strings.TrimRight(rest, ".,;!"); rest != "" {
		unit = rest
	}
	if neg {
		v = -v
	}
	return v, unit, true
}

// SeriesFromTable takes each numeric column of a table (every non-empty cell a number, at least two) as
// a series, labelled by the first column that is not numeric (or by row number when all are).
func SeriesFromTable(header []string, rows []map[string]string) []Series {
	return seriesFromRows(header, rows, "column ")
}

func seriesFromRows(header []string, rows []map[string]string, source string) []Series {
	numeric := map[string]bool{}
	units := map[string]string{}
	labelCol := ""
	for _, h := range header {
		count, isNum := 0, true
		for _, r := range rows {
			cell := strings.TrimSpace(r[h])
			if cell == "" {
				continue
			}
			_, unit, ok := ParseNumber(cell)
			if !ok {
				isNum = false
				break
			}
			if units[h] == "" {
				units[h] = unit
			}
			count++
		}
		if isNum && count >= 2 {
			numeric[h] = true
		} else if labelCol == "" && !isNum {
			labelCol = h
		}
	}
	var out []Series
	for _, h := range header {
		if !numeric[h] {
			continue
		}
		s := Series{Name: h, Unit: units[h], Source: source + h}
		for i, r := range rows {
			v, _, ok := ParseNumber(r[h])
			if !ok {
				continue
			}
			label := fmt.Sprintf("row %d", i+1)
			if labelCol != "" && strings.TrimSpace(r[labelCol]) != "" {
				label = strings.TrimSpace(r[labelCol])
			}
			s.Points = append(s.Points, Point{Label: label, Value: v})
		}
		out = append(out, s)
	}
	return out
}

// keyValue is a "Label: 120" line, with a list marker or emphasis allowed.
var keyValue = regexp.MustCompile(`^\s*(?:[-*+•]\s+)?(?:\*\*|__)?([^:|=\t]{1,60}?)(?:\*\*|__)?\s*[:=\t]\s*(.+?)\s*$`)

// SeriesFromText finds the series in a text: each Markdown table (its numeric columns, as
// SeriesFromTable), and each run of at least three consecutive "Label: number" lines with the same unit
// (a run of lines whose units differ, like "Revenue: $5" then "Staff: 12", is not one series). A run is
// named by the heading or line ending in ":" just above it.
func SeriesFromText(text string) []Series {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var out []Series
	heading := ""
	for i := 0; i < len(lines); {
		t := strings.TrimSpace(lines[i])
		if strings.HasPrefix(t, "|") {
			j := i
			for j < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[j]), "|") {
				j++
			}
			if header, rows, ok := markdownTable(lines[i:j]); ok {
				name := fmt.Sprintf("table at line %d, column ", i+1)
				if heading != "" {
					name = fmt.Sprintf("table %q, column ", heading)
				}
				out = append(out, seriesFromRows(header, rows, name)...)
			}
			i = j
			continue
		}
		if run := keyValueRun(lines, i); len(run.Points) >= 3 {
			run.Name = heading
			if run.Name == "" {
				run.Name = "values"
			}
			out = append(out, run)
			i += len(run.Points)
			continue
		}
		if strings.HasPrefix(t, "#") {
			heading = strings.TrimSpace(strings.Trim(t, "# "))
		} else if strings.HasSuffix(t, ":") && len(t) < 80 {
			heading = strings.TrimSuffix(t, ":")
		}
		i++
	}
	return out
}

// keyValueRun is the run of "Label: number" lines with one unit starting at line i.
func keyValueRun(lines []string, i int) Series {
	var s Series
	for j := i; j < len(lines); j++ {
		m := keyValue.FindStringSubmatch(lines[j])
		if m == nil {
			break
		}
		v, unit, ok := ParseNumber(m[2])
		if !ok || (len(s.Points) > 0 && unit != s.Unit) {
			break
		}
		s.Unit = unit
		s.Points = append(s.Points, Point{Label: strings.TrimSpace(m[1]), Value: v})
	}
	s.Source = fmt.Sprintf("lines %d-%d", i+1, i+len(s.Points))
	return s
}

// markdownTable reads | a | b | rows with a |---| line under the header.
func markdownTable(lines []string) (header []string, rows []map[string]string, ok bool) {
	cells := func(l string) []string {
		l = strings.TrimSpace(l)
		l = strings.TrimPrefix(strings.TrimSuffix(l, "|"), "|")
		parts := strings.Split(l, "|")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts
	}
	if len(lines) < 3 {
		return nil, nil, false
	}
	for _, c := range cells(lines[1]) {
		if strings.Trim(c, ":- ") != "" || !strings.Contains(c, "-") {
			return nil, nil, false
		}
	}
	header = cells(lines[0])
	for _, l := range lines[2:] {
		row := map[string]string{}
		for k, c := range cells(l) {
			if k < len(header) {
				row[header[k]] = c
			}
		}
		rows = append(rows, row)
	}
	return header, rows, true
}
