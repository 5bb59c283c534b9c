//! TODO(skeleton): owned by the simulator work; replaced when it lands.
