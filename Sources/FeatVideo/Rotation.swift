import CFFmpeg

/// The display-matrix rotation of a stream, turned into the filters the ffmpeg CLI inserts
/// by default (its "autorotate"), so featstream shows the picture exactly as ffmpeg does.
struct Rotation {
    /// Clockwise degrees, normalised to 0..<360.
    let degrees: Double
    /// Filter chain to prepend, e.g. "transpose=clock"; empty when none.
    let filters: [String]

    static let none = Rotation(degrees: 0, filters: [])

    init(degrees: Double, filters: [String]) {
        self.degrees = degrees
        self.filters = filters
    }

    init(stream: UnsafeMutablePointer<AVStream>) {
        guard let raw = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, nil) else {
            self = .none
            return
        }
        let m = raw.withMemoryRebound(to: Int32.self, capacity: 9) { Array(UnsafeBufferPointer(start: $0, count: 9)) }
        var theta = -av_display_rotation_get(m).rounded()
        if theta.isNaN { self = .none; return }
        theta -= 360 * (theta / 360 + 0.9 / 360).rounded(.down)
        var filters: [String] = []
        if abs(theta - 90) < 1 {
            filters = [m[3] > 0 ? "transpose=cclock_flip" : "transpose=clock"]
        } else if abs(theta - 180) < 1 {
            if m[0] < 0 { filters.append("hflip") }
            if m[4] < 0 { filters.append("vflip") }
        } else if abs(theta - 270) < 1 {
            filters = [m[3] < 0 ? "transpose=clock_flip" : "transpose=cclock"]
        } else if abs(theta) > 1 {
            filters = ["rotate=\(theta)*PI/180"]
        } else if m[4] < 0 {
            filters = ["vflip"]
        }
        self.init(degrees: theta, filters: filters)
    }

    /// True when width and height swap on display.
    var swapsAxes: Bool { abs(degrees - 90) < 1 || abs(degrees - 270) < 1 }
}
