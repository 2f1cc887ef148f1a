from keras_syncgan.utils import describe


def check_image_shape(argument, shape, steps):
    """Validates an (height, width, channels) shape that `steps` halvings must divide."""
    if not (isinstance(shape, (tuple, list)) and len(shape) == 3 and all(isinstance(s, int) and s > 0 for s in shape)):
        raise ValueError(f"`{argument}` must be (height, width, channels) of positive ints; received {describe(shape)}.")
    height, width, channels = shape
    factor = 2 ** steps
    if height % factor or width % factor:
        raise ValueError(f"`{argument}` height and width must be divisible by 2**{steps} = {factor} "
                         f"for {steps} resolution steps; received {tuple(shape)}.")
    return height, width, channels


def scaled_size(height, width, steps):
    return height // 2 ** steps, width // 2 ** steps
