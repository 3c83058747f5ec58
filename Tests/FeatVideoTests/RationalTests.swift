import FeatVideo
import Testing

@Suite struct RationalTests {
    @Test func parsesIntegersDecimalsAndFractions() {
        #expect(Rational(parsing: "5") == Rational(5, 1))
        #expect(Rational(parsing: "12.5") == Rational(25, 2))
        #expect(Rational(parsing: "30000/1001") == Rational(30000, 1001))
        #expect(Rational(parsing: "0.04") == Rational(1, 25))
        #expect(Rational(parsing: "60/2")?.description == "30")
    }

    @Test func rejectsGarbage() {
        for text in ["", "abc", "1/0", "1/2/3", "1.2.3", ".", "-", "5fps", "1e3"] {
            #expect(Rational(parsing: text) == nil, "\(text)")
        }
    }

    @Test func comparesExactly() {
        #expect(Rational(1001, 30000) < Rational(1, 29))
        #expect(Rational(1, 3) == Rational(2, 6))
        #expect(!(Rational(1, 3) < Rational(2, 6)))
    }
}
