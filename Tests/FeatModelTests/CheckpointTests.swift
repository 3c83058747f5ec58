import FeatCodec
@testable import FeatModel
import Foundation
import TestSupport
import Testing
