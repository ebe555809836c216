"""Which NumPy names CuPy has, so the stand-in offers exactly those (and nothing CuPy lacks).

Taken from CuPy's own ``cupy/__init__.py`` (github.com/cupy/cupy, August 2026 snapshot):
UFUNCS and FUNCTIONS are CuPy's implementations of NumPy's names, FROM_NUMPY are the
names CuPy re-exports from NumPy unchanged (dtypes, constants, ``finfo``...). A NumPy
name in none of these lists is missing from CuPy, so it is missing from the stand-in.
"""
UFUNCS = """
abs absolute add arccos arccosh arcsin arcsinh arctan arctan2 arctanh bitwise_and bitwise_count
bitwise_not bitwise_or bitwise_xor cbrt ceil conj conjugate copysign cos cosh deg2rad degrees divide
divmod equal exp exp2 expm1 fabs float_power floor floor_divide fmax fmin fmod frexp gcd greater
greater_equal heaviside hypot invert isfinite isinf isnan lcm ldexp left_shift less less_equal log
log10 log1p log2 logaddexp logaddexp2 logical_and logical_not logical_or logical_xor matmul maximum
minimum mod modf multiply negative nextafter not_equal positive power rad2deg radians reciprocal
remainder right_shift rint sign signbit sin sinh sqrt square subtract tan tanh true_divide trunc
""".split()

FUNCTIONS = """
all allclose amax amin angle any append apply_along_axis apply_over_axes arange argmax argmin
argpartition argsort argwhere around array array2string array_equal array_equiv array_repr
array_split array_str asanyarray asarray asarray_chkfinite ascontiguousarray asfortranarray astype
atleast_1d atleast_2d atleast_3d average bartlett base_repr binary_repr bincount blackman broadcast
broadcast_arrays broadcast_to c_ can_cast choose clip column_stack common_type compress concatenate
convolve copy copyto corrcoef correlate count_nonzero cov cross cumprod cumsum cumulative_prod
cumulative_sum delete diag diag_indices diag_indices_from diagflat diagonal diff digitize dot dsplit
dstack ediff1d einsum empty empty_like exceptions expand_dims extract eye fft fill_diagonal fix
flatiter flatnonzero flip fliplr flipud format_float_positional format_float_scientific from_dlpack
frombuffer fromfile fromfunction fromiter fromstring full full_like genfromtxt gradient hamming
hanning histogram histogram2d histogramdd hsplit hstack i0 identity imag indices inner interp
intersect1d isclose iscomplex iscomplexobj isfortran isin isneginf isposinf isreal isrealobj
isscalar ix_ kaiser kron lexsort linalg linspace load loadtxt logspace mask_indices matrix_transpose
max may_share_memory mean median meshgrid mgrid min min_scalar_type moveaxis nan_to_num nanargmax
nanargmin nancumprod nancumsum nanmax nanmean nanmedian nanmin nanprod nanstd nansum nanvar ndarray
ndim nonzero ogrid ones ones_like outer packbits pad partition percentile piecewise place poly
poly1d polyadd polyfit polymul polynomial polysub polyval prod ptp put put_along_axis putmask
quantile r_ random ravel ravel_multi_index real real_if_close repeat require reshape resize
result_type roll rollaxis roots rot90 round row_stack save savetxt savez savez_compressed
searchsorted select setdiff1d setxor1d shape shares_memory show_config sinc size sort sort_complex
split squeeze stack std sum swapaxes take take_along_axis tensordot tile trace transpose trapezoid
tri tril tril_indices tril_indices_from trim_zeros triu triu_indices triu_indices_from ufunc union1d
unique unique_all unique_counts unique_inverse unique_values unpackbits unravel_index unwrap vander
var vdot vectorize vsplit vstack where zeros zeros_like
""".split()

FROM_NUMPY = """
bool_ byte cdouble complex128 complex64 complexfloating csingle double dtype e euler_gamma finfo
float16 float32 float64 floating generic get_printoptions half iinfo index_exp inexact inf int16
int32 int64 int8 int_ intc integer intp isdtype issubdtype iterable longlong mintypecode nan ndindex
newaxis number pi printoptions promote_types s_ set_printoptions short signedinteger single typename
ubyte uint uint16 uint32 uint64 uint8 uintc uintp ulonglong unsignedinteger ushort
""".split()

LINALG = """
matrix_power cross matmul matrix_transpose cholesky qr svd eigh eig eigvalsh eigvals norm cond det
matrix_rank slogdet solve tensorsolve lstsq inv pinv tensorinv
""".split()

RANDOM_DISTRIBUTIONS = """
beta binomial chisquare dirichlet exponential f gamma geometric gumbel hypergeometric laplace logistic
lognormal logseries multivariate_normal negative_binomial noncentral_chisquare noncentral_f normal
pareto poisson power rayleigh standard_cauchy standard_exponential standard_gamma standard_normal
standard_t triangular uniform vonmises wald weibull zipf
""".split()
