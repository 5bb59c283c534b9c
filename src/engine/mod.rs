//! TODO(skeleton): owned by the engine work; replaced when it lands.
