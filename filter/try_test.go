package filter
import ("testing";"os";"fmt")
func TestTry(t *testing.T) {
	lt := 1
	fmt.Sscan(os.Getenv("LT"), &lt)
	p, err := Compile(os.Getenv("EXPR"), Options{LinkType: lt, Live: os.Getenv("LIVE") != ""})
	if err != nil { fmt.Println(err); return }
	fmt.Print(String(p))
}
